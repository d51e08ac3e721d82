"""Proxies registered before the owner who signed was recorded get the owner their records tell, on every backend:
the flat's only owner on the roll that counts for the vote (the registry's while it is a draft, the frozen one once
open), or the one owner the typed authorisation names; none when the records tell neither (then it stands no more)."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select

from core import MIGRATIONS
from core.extensions import db
from core.models import Person, WechatAccount
from tests.builders import id_number, roll_with_owner, rooms_on_record
from votes.models import Proxy, Vote, VoteOwner

# 101 is 张三's alone; 102 is 李四's and 王芳's; 103 is 赵六's and 孙七's.
ROWS = [["1", "1", "101", "80", "", "", "张三", id_number(1), "13800000001", "否", "是"],
        ["1", "1", "102", "80", "", "", "李四", id_number(2), "13800000002", "否", "是"],
        ["1", "1", "102", "80", "", "", "王芳", id_number(3), "13800000003", "否", "是"],
        ["1", "1", "103", "80", "", "", "赵六", id_number(4), "13800000004", "否", "是"],
        ["1", "1", "103", "80", "", "", "孙七", id_number(5), "13800000005", "否", "是"]]


def test_a_proxy_of_before_gets_the_signer_its_records_tell_and_none_when_they_do_not(app, world):
    compound, community, committee = world.compound_a.id, world.community_a.id, world.committee_a.id
    roll_with_owner(compound, ROWS)
    rooms = rooms_on_record()
    people = dict(db.session.execute(select(Person.name, Person.id)).all())
    db.session.commit()
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0026")
    votes = {}
    for state in ("draft", "open"):
        vote = Vote(compound_id=compound, region_id=community, scope_kind="compound", scope_id=compound,
                    matter="rebuild", title=state, state=state)
        db.session.add(vote)
        db.session.flush()
        votes[state] = vote.id
    # the open vote's frozen roll: 102 and 103 with both their owners
    for room, names in (("102", ("李四", "王芳")), ("103", ("赵六", "孙七"))):
        for name in names:
            db.session.add(VoteOwner(vote_id=votes["open"], dwelling_id=rooms[room], person_id=people[name]))
    account = WechatAccount(openid="a-proxy", kind="owner")
    db.session.add(account)
    db.session.flush()
    proxies = {}
    for key, vote, room, authorisation, state in (
            ("sole", "draft", "101", "业主书面委托", "confirmed"),
            ("named", "open", "102", "李四委托代为表决", "confirmed"),
            ("untold", "open", "103", "业主书面委托", "confirmed"),
            ("both_named", "draft", "103", "赵六、孙七共同委托", "pending"),
            ("withdrawn", "draft", "102", "", "withdrawn")):
        proxies[key] = db.session.execute(insert(Proxy.__table__).values(
            vote_id=votes[vote], dwelling_id=rooms[room], account_id=account.id, authorisation=authorisation,
            proxy_person_id=99, state=state, recorded_by=committee).returning(Proxy.__table__.c.id)).scalar_one()
    db.session.commit()
    db.session.remove()

    upgrade(directory=MIGRATIONS)

    signers = dict(db.session.execute(select(Proxy.id, Proxy.owner_person_id)).all())
    assert {key: signers[proxy] for key, proxy in proxies.items()} == {
        "sole": people["张三"], "named": people["李四"], "untold": None, "both_named": None, "withdrawn": None}
