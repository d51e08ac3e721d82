"""The wishes' counts officials read (per compound and catalogue item) move with the wishes, also when two
changes meet: a wish filed while another is classified for the same item, a wish classified while it is being
merged away. PostgreSQL: the races need two transactions at once."""
import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Dwelling
from oversight import services as oversight
from tests.builders import login, owner, race_at_a_gate, wish_counts_hold

pytestmark = pytest.mark.postgresql_only


def file(client, me, text, code=None):
    data = {"text": text, **({"catalogue_code": code} if code else {})}
    return client.post("/api/v1/wishes", headers=me, data=data, content_type="multipart/form-data")


def residents(client, simulator, http, headers, count):
    rooms = db.session.scalars(select(Dwelling.id).order_by(Dwelling.id)).all()[:count]
    return [owner(client, simulator, http, headers, dwelling, f"counted-{n}") for n, dwelling in enumerate(rooms)]


def test_a_wish_filed_as_another_is_classified_for_the_same_item_is_counted_with_it(
        client, staff, world, simulator, database_url):
    http, headers = staff
    first, second = residents(client, simulator, http, headers, 2)
    wish_id = file(client, first, "楼道灯坏了").get_json()["id"]
    classified, filed = [], []

    def classify():
        classified.append(http.post(f"/api/v1/admin/wishes/{wish_id}/classify", headers=headers,
                                    json={"catalogue_code": "I03"}))

    def file_another():
        filed.append(file(client.application.test_client(), second, "楼道的灯晚上不亮", "I03"))

    # the classification is held once it has counted its wish under the item; the new wish waits for that count
    waited = race_at_a_gate(database_url, "BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'wish.classify')",
                            {"classifying": classify, "filing": file_another}, "classifying", "the item's count")
    assert [r.status_code for r in classified + filed] == [200, 201]
    assert waited, "the new wish did not wait for the item's count"
    assert wish_counts_hold() == {(world.compound_a.id, "I03"): 2}
    _region, total, _breakdown = oversight.dashboard(world.city_staff)
    assert (total.wishes, total.demand) == (2, [("I03", 2)])


def test_a_wish_classified_while_it_is_merged_away_is_refused_and_counted_once(
        client, staff, world, simulator, database_url):
    http, headers = staff
    first, second = residents(client, simulator, http, headers, 2)
    kept = file(client, first, "楼道灯坏了").get_json()["id"]
    duplicate = file(client, second, "楼道的灯晚上不亮").get_json()["id"]
    other = client.application.test_client()  # a second member of the committee, at the same time
    other_headers = {"X-CSRFToken": login(other, "committee_a")}
    merged, classified = [], []

    def merge():
        merged.append(http.post(f"/api/v1/admin/wishes/{duplicate}/merge", headers=headers, json={"into": kept}))

    def classify():
        classified.append(other.post(f"/api/v1/admin/wishes/{duplicate}/classify", headers=other_headers,
                                     json={"catalogue_code": "I03"}))

    # the merge is held once it has moved the counts; the classification waits for the wish, then sees it merged
    waited = race_at_a_gate(database_url, "BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action = 'wish.merge')",
                            {"merging": merge, "classifying": classify}, "merging", "the wish")
    assert merged[0].status_code == 200 and classified[0].status_code == 409, classified[0].get_json()
    assert waited, "the classification did not wait for the wish being merged"
    assert wish_counts_hold() == {(world.compound_a.id, ""): 1}
