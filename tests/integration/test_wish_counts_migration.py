"""Wishes filed before their counts were kept are counted by the migration, as filing them would have: per
compound and item, merged duplicates left out, the wishes not yet classified apart; on every backend."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from core import MIGRATIONS
from core.extensions import db
from core.models import Building, Dwelling, Staff, Unit, WechatAccount


def test_the_wishes_already_filed_are_counted(app, world):
    a, b = world.compound_a.id, world.compound_b.id
    counties = world.county_a.id, world.county_b.id
    homes = []
    for compound in (world.compound_a, world.compound_b):
        building = Building(compound_id=compound.id, name="1")
        unit = Unit(building=building, name="1")
        dwelling = Dwelling(unit=unit, room="101", registered_area=8000)
        db.session.add_all([building, unit, dwelling])
        db.session.flush()
        account = WechatAccount(openid=f"before-{compound.id}", dwelling_id=dwelling.id, kind="owner",
                                locale="zh_Hans_CN")
        db.session.add(account)
        homes.append((compound.id, dwelling, account))
    db.session.commit()
    filed = [(homes[0], "I03", "classified"), (homes[0], "I03", "answered"), (homes[0], "I03", "merged"),
             (homes[0], None, "submitted"), (homes[0], None, "merged"), (homes[1], "B01", "answered")]
    rows = [{"id": n, "account": account.id, "dwelling": dwelling.id, "compound": compound_id, "code": code,
             "status": status} for n, ((compound_id, dwelling, account), code, status) in enumerate(filed, 1)]
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0027")
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO wishes (id, account_id, dwelling_id, compound_id, catalogue_code, suggested_codes, text, "
            "photos, channel, status, story_told, created_at) VALUES (:id, :account, :dwelling, :compound, :code, "
            "'[]', '', '[]', 'bot', :status, '[]', '2026-01-01 00:00:00')"), rows)
    upgrade(directory=MIGRATIONS)
    from tests.builders import wish_counts_hold
    assert wish_counts_hold() == {(a, "I03"): 2, (a, ""): 1, (b, "B01"): 1}
    from oversight import services as oversight
    _region, total, breakdown = oversight.dashboard(Staff.query.filter_by(username="city").one())
    assert total.wishes == 4 and total.demand == [("I03", 2), ("B01", 1)]
    assert {r.id: f.wishes for r, f in breakdown} == dict(zip(counties, (3, 1)))
