"""Setting up a compound without code: regions, compounds, buildings, units and dwellings through the staff API
and the CLI, scoped by region and audited; votes and pending paper entries listed (SQLite and PostgreSQL)."""
from sqlalchemy import select

from core.extensions import db
from core.models import AuditLog, Building, Region, Unit
from tests.builders import login
from tests.builders import STAIRWELL_ROWS as ROWS
from tests.builders import open_lift_vote
from tests.builders import roll_with_owner


def staff(app, username):
    client = app.test_client()
    return client, {"X-CSRFToken": login(client, username)}


def test_a_county_sets_up_a_compound_and_its_committee_adds_the_buildings(app, world):
    county, h = staff(app, "county_a")
    street = county.post("/api/v1/admin/regions", json={"parent_id": world.county_a.id, "name": "芳草街道"},
                         headers=h)
    assert street.status_code == 201, street.get_data(as_text=True)
    assert (street.get_json()["level"], street.get_json()["full_name"]) == ("street", "四川省 › 成都市 › 武侯区 › 芳草街道")
    community = county.post("/api/v1/admin/regions", json={"parent_id": street.get_json()["id"], "name": "芳草社区"},
                            headers=h).get_json()
    compound = county.post("/api/v1/admin/compounds", headers=h, json={
        "community_id": community["id"], "name": "芳草小区", "address": "芳草街 8 号", "built_year": 1992})
    assert compound.status_code == 201, compound.get_data(as_text=True)
    compound_id = compound.get_json()["id"]
    listed = {r["name"]: r["id"] for r in county.get("/api/v1/admin/regions").get_json()}
    assert listed["芳草社区"] == community["id"] and "锦江区" not in listed

    from core.staff import create_staff  # staff accounts have their own page (see the browser test)
    create_staff(None, "fangcao", "芳草社区委员", "committee", community["id"], "correct horse battery")
    db.session.commit()
    committee, hc = staff(app, "fangcao")
    building = committee.post(f"/api/v1/admin/compounds/{compound_id}/buildings", headers=hc,
                              json={"name": "3栋", "floors": 6})
    assert building.status_code == 201 and building.get_json()["name"] == "3"
    unit = committee.post(f"/api/v1/admin/compounds/{compound_id}/units", headers=hc,
                          json={"building_id": building.get_json()["id"], "name": "2单元"}).get_json()
    dwelling = committee.post(f"/api/v1/admin/compounds/{compound_id}/dwellings", headers=hc,
                              json={"unit_id": unit["id"], "room": "501室", "registered_area": "85.60"})
    assert dwelling.status_code == 201, dwelling.get_data(as_text=True)
    assert (dwelling.get_json()["room"], dwelling.get_json()["unit_id"]) == ("501", unit["id"])
    detail = committee.get(f"/api/v1/admin/compounds/{compound_id}").get_json()
    assert detail["buildings"] == [{"id": building.get_json()["id"], "compound_id": compound_id, "name": "3",
                                    "floors": 6, "has_lift": False,
                                    "units": [{"id": unit["id"], "building_id": building.get_json()["id"],
                                               "name": "2"}]}]
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.actor.in_(["county_a", "fangcao"]))))
    assert {"region.create", "compound.create", "building.create", "unit.create", "dwelling.create"} <= actions


def test_setting_up_outside_ones_region_or_role_is_refused_in_words(app, world):
    county, h = staff(app, "county_a")
    other = county.post("/api/v1/admin/regions?lang=en", json={"parent_id": world.county_b.id, "name": "X街道"},
                        headers=h)
    assert other.status_code == 422
    assert other.get_json()["error"]["details"] == [{"field": "parent_id", "message": "Choose a region in your area."}]
    twice = county.post("/api/v1/admin/regions", json={"parent_id": world.county_a.id, "name": "玉林街道"}, headers=h)
    assert twice.status_code == 422
    assert twice.get_json()["error"]["details"][0]["message"] == "此处已有名为玉林街道的区域。"
    not_community = county.post("/api/v1/admin/compounds", headers=h,
                                json={"community_id": world.street_a.id, "name": "某小区"})
    assert not_community.status_code == 422
    committee, hc = staff(app, "committee_a")
    assert committee.post("/api/v1/admin/regions", json={"parent_id": world.community_a.id, "name": "X"},
                          headers=hc).status_code == 403
    foreign = committee.post(f"/api/v1/admin/compounds/{world.compound_b.id}/buildings", headers=hc,
                             json={"name": "1"})
    assert foreign.status_code == 404
    building = committee.post(f"/api/v1/admin/compounds/{world.compound_a.id}/buildings", headers=hc,
                              json={"name": "1"}).get_json()
    again = committee.post(f"/api/v1/admin/compounds/{world.compound_a.id}/buildings", headers=hc,
                           json={"name": "1栋"})
    assert again.status_code == 422
    wrong_compound, hb = staff(app, "committee_b")
    sneaky = wrong_compound.post(f"/api/v1/admin/compounds/{world.compound_b.id}/units", headers=hb,
                                 json={"building_id": building["id"], "name": "1"})
    assert sneaky.status_code == 422
    assert db.session.scalar(select(Region.id).where(Region.name == "X街道")) is None


def test_votes_and_the_paper_entries_waiting_for_a_second_person_are_listed(app, world, simulator):
    from votes.services import paper_code
    roll_with_owner(world.compound_a.id, ROWS)
    committee, h = staff(app, "committee_a")
    unit_id = committee.get(f"/api/v1/admin/compounds/{world.compound_a.id}").get_json()["buildings"][0]["units"][0]["id"]
    vote_id = open_lift_vote(committee, h, unit_id)
    listed = committee.get(f"/api/v1/admin/votes?compound_id={world.compound_a.id}&state=open").get_json()
    assert [v["id"] for v in listed] == [vote_id]
    dwelling = committee.get(f"/api/v1/admin/compounds/{world.compound_a.id}/dwellings").get_json()[4]
    entry = committee.post(f"/api/v1/admin/votes/{vote_id}/paper", headers=h,
                           json={"code": paper_code(vote_id, dwelling["id"]), "choice": "agree"})
    assert entry.status_code == 201, entry.get_data(as_text=True)
    pending = committee.get(f"/api/v1/admin/votes/{vote_id}/paper?state=pending").get_json()
    assert [(p["room"], p["state"], p["entered_by_name"]) for p in pending] == [(dwelling["room"], "pending", "委员a")]
    assert "choice" not in pending[0]  # the second person reads the ballot for themselves
    outsider, hb = staff(app, "committee_b")
    assert outsider.get(f"/api/v1/admin/votes/{vote_id}/paper").status_code == 404
    assert outsider.get("/api/v1/admin/votes").get_json() == []


def test_the_cli_lists_regions_with_ids_and_creates_a_compound(app, world):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["registry", "regions"])
    assert listing.exit_code == 0
    assert f"{world.community_a.id}\tcommunity\t玉林北路社区" in listing.output
    assert f"compound {world.compound_a.id}\t玉林小区" in listing.output
    street = runner.invoke(args=["registry", "create-region", "新街道", "--parent", str(world.county_a.id)])
    assert street.exit_code == 0 and "Created street" in street.output
    bad = runner.invoke(args=["registry", "create-compound", "某小区", "--community", str(world.county_a.id)])
    assert bad.exit_code == 1
    made = runner.invoke(args=["registry", "create-compound", "新小区", "--community", str(world.community_a.id),
                               "--built-year", "1990"])
    assert made.exit_code == 0, made.output
    building = runner.invoke(args=["registry", "create-building", "1", "--compound", made.output.split()[2][:-1]])
    assert building.exit_code == 0, building.output


def test_the_panel_sets_up_a_compound_with_errors_next_to_their_fields(app, world):
    import re
    from tests.builders import error_of
    from tests.builders import form_token as token
    from tests.builders import page_sign_in as sign_in
    county = sign_in(app.test_client(), "county_a")
    assert "区域" in county.get("/admin/regions").get_data(as_text=True)

    def post(client, path, page, **data):
        return client.post(path, data=dict(data, csrf_token=token(client, page)))
    bad = post(county, "/admin/regions/new", "/admin/regions", **{"region-parent_id": str(world.county_a.id),
                                                                    "region-name": "玉林街道"})
    assert bad.status_code == 422
    assert error_of(bad.get_data(as_text=True), "region-name") == "此处已有名为玉林街道的区域。"
    assert post(county, "/admin/regions/new", "/admin/regions", **{"region-parent_id": str(world.county_b.id),
                                                                   "region-name": "X"}).status_code == 422
    post(county, "/admin/regions/new", "/admin/regions", **{"region-parent_id": str(world.street_a.id),
                                                            "region-name": "桂花社区"})
    community_id = db.session.scalar(select(Region.id).where(Region.name == "桂花社区"))
    made = post(county, "/admin/regions/compounds", "/admin/regions", **{
        "compound-community_id": str(community_id), "compound-name": "桂花小区", "compound-built_year": "1988"})
    assert made.status_code == 302
    structure = made.headers["Location"]
    compound_id = int(re.search(r"/compounds/(\d+)/structure", structure).group(1))

    committee = sign_in(app.test_client(), "committee_a")
    assert committee.get(structure).status_code == 404  # another community's compound
    from core.staff import create_staff
    create_staff(None, "guihua", "桂花委员", "committee", community_id, "correct horse battery")
    db.session.commit()
    committee = sign_in(app.test_client(), "guihua")
    assert post(committee, f"/admin/compounds/{compound_id}/buildings", structure,
                **{"building-name": "2栋", "building-floors": "7"}).status_code == 302
    building_id = db.session.scalar(select(Building.id).where(Building.compound_id == compound_id))
    assert post(committee, f"/admin/compounds/{compound_id}/units", structure,
                **{"unit-building_id": str(building_id), "unit-name": "1"}).status_code == 302
    unit_id = db.session.scalar(select(Unit.id).where(Unit.building_id == building_id))
    wrong = post(committee, f"/admin/compounds/{compound_id}/dwellings", structure, **{
        "dwelling-unit_id": str(unit_id), "dwelling-room": "101", "dwelling-registered_area": "八十"})
    assert wrong.status_code == 422 and error_of(wrong.get_data(as_text=True), "dwelling-registered_area")
    assert post(committee, f"/admin/compounds/{compound_id}/dwellings", structure, **{
        "dwelling-unit_id": str(unit_id), "dwelling-room": "101", "dwelling-registered_area": "80.5"}).status_code == 302
    html = committee.get(structure).get_data(as_text=True)
    assert f"<td>{unit_id}</td><td>1</td>" in html
    assert "CSRF" not in html  # the token of each form is hidden, not a labelled field
