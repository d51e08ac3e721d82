from core.auth import decide


def test_a_county_official_asking_outside_the_county_gets_not_found():
    assert decide("county", "registry.read", "/1/2/3/", "/1/2/9/10/11/") == "not_found"


def test_inside_the_region_a_permitted_action_is_allowed():
    assert decide("county", "registry.read", "/1/2/3/", "/1/2/3/4/5/") == "allow"


def test_inside_the_region_an_unpermitted_action_is_forbidden():
    assert decide("county", "registry.import", "/1/2/3/", "/1/2/3/4/5/") == "forbidden"


def test_a_region_id_prefix_is_not_a_parent():
    # region 1 must not contain region 12
    assert decide("city", "registry.read", "/1/", "/12/13/") == "not_found"


def test_committee_staff_may_import_their_own_community_roll():
    assert decide("committee", "registry.import", "/1/2/3/4/5/", "/1/2/3/4/5/") == "allow"
