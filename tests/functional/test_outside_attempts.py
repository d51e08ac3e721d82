"""What people who should not succeed try through the real doors: the chat, the mini-program API and the
panel. Each attempt changes nothing."""
from core.extensions import db
from simulator.sender import text_xml
from tests.builders import Bot
from tests.functional.test_gate_and_ledger import project, resident  # noqa: F401 (fixture)


def test_someone_else_at_the_same_home_cannot_withdraw_the_owners_pledge(client, world, project, simulator):  # noqa: F811
    from contributions.models import Contribution
    http, headers, pid, rooms = project
    owner = resident(client, simulator, http, headers, rooms["202"], "owner-202")
    tenant = resident(client, simulator, http, headers, rooms["202"], "tenant-202", kind="tenant")
    pledged = client.post("/api/v1/project/pledges", headers=owner, json={"kind": "money", "amount": 50_000}).get_json()
    # through the mini-program API
    refused = client.post(f"/api/v1/project/contributions/{pledged['id']}/cancel", headers=tenant)
    assert refused.status_code == 404, refused.get_data(as_text=True)
    # and in chat: the tenant is not offered the owner's pledge to withdraw
    bot = Bot(client)
    listing = bot.say(text_xml("tenant-202", "认捐"))
    assert "500.00" not in listing
    bot.say(text_xml("tenant-202", "1"))
    bot.say(text_xml("tenant-202", "1"))
    db.session.expire_all()
    assert db.session.get(Contribution, pledged["id"]).state == "pledged"
    # the owner still withdraws their own
    assert client.post(f"/api/v1/project/contributions/{pledged['id']}/cancel", headers=owner).status_code == 200
