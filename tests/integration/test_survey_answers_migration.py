"""Survey answers move to jsonb on PostgreSQL: every answer reads back as it was given, except that the character
U+0000, which jsonb cannot hold, is taken out of the words that held it. SQLite keeps its JSON as it was."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, column, inspect, insert, select, table

from core import MIGRATIONS
from core.extensions import db
from core.models import WechatAccount
from surveys.models import Survey
from tests.builders import roll_rows, roll_with_owner, rooms_on_record

# the table as the schema before the move has it
RESPONSES = table("survey_responses", column("id"), column("survey_id"), column("respondent"),
                  column("account_id"), column("dwelling_id"), column("version"), column("answers", JSON),
                  column("submitted"), column("updated_at"))


def test_answers_read_back_as_given_after_the_move_and_lose_only_the_character_jsonb_cannot_hold(app, world):
    compound, community = world.compound_a.id, world.community_a.id
    roll_with_owner(compound, roll_rows(4))
    home = rooms_on_record()["101"]
    survey = Survey(compound_id=compound, region_id=community, kind="other", title="调查", scope_kind="compound",
                    scope_id=compound, state="open")
    account = WechatAccount(openid="answering-openid", dwelling_id=home, kind="owner")
    db.session.add_all([survey, account])
    db.session.commit()
    survey_id, account_id = survey.id, account.id
    db.session.remove()
    downgrade(directory=MIGRATIONS, revision="0028")
    given = {
        "plain": {"want": {"choice": "__other__", "text": "看费用再定"}, "pay": 2500, "why": '说 "好" \\ 吧',
                  "items": ["a", "c"], "grid": {"light": "ok"}, "share": 12.5},
        "nul": {"why": "楼道\x00灯", "want": {"choice": "__other__", "text": "\x00"}, "pay": 7},
    }
    ids = {}
    for respondent, answers in given.items():
        ids[respondent] = db.session.execute(insert(RESPONSES).values(
            survey_id=survey_id, respondent=respondent, account_id=account_id, dwelling_id=home, version=1,
            answers=answers, submitted=True, updated_at=db.func.now()).returning(RESPONSES.c.id)).scalar_one()
    db.session.commit()
    db.session.remove()

    upgrade(directory=MIGRATIONS)

    read = dict(db.session.execute(select(RESPONSES.c.id, RESPONSES.c.answers)).all())
    assert read[ids["plain"]] == given["plain"]
    if db.engine.dialect.name == "postgresql":
        assert read[ids["nul"]] == {"why": "楼道灯", "want": {"choice": "__other__", "text": ""}, "pay": 7}
        kind = {c["name"]: c["type"] for c in inspect(db.engine).get_columns("survey_responses")}["answers"]
        assert type(kind).__name__ == "JSONB"
    else:
        assert read[ids["nul"]] == given["nul"]
