"""Fixtures shared by the functional tests."""
import pytest

from core.catalogue import sync_base_catalogue
from core.extensions import db
from core.models import Building
from tests.builders import FORM_ROWS, SURVEY_ROWS, login, page_sign_in, roll_with_owner


@pytest.fixture
def committee(client, world):
    """Compound A with two owners and the catalogue; committee_a signed in to the admin panel."""
    roll_with_owner(world.compound_a.id, FORM_ROWS)
    sync_base_catalogue()
    db.session.commit()
    return page_sign_in(client, "committee_a")


@pytest.fixture
def staff(client, world):
    """Compound A with four owners in six-floor buildings without lifts; committee_a on the staff API."""
    sync_base_catalogue()
    roll_with_owner(world.compound_a.id, SURVEY_ROWS)
    for building in Building.query.all():
        building.floors, building.has_lift = 6, False
    db.session.commit()
    http = client.application.test_client()
    token = login(http, "committee_a")
    return http, {"X-CSRFToken": token}
