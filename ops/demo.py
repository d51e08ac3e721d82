"""The demo's year: projects at every stage with milestones and photos, the year's targets, a finished acceptance
with satisfaction answers, wishes, and a closed and published vote with paper ballots confirmed by a second person.

Called by `flask demo seed` (core/demo.py) after the registry and staff exist, so every official page has
something to show."""
import struct
import zlib
from datetime import datetime, timedelta

from sqlalchemy import select

from core.extensions import db
from core.models import Building, Compound, Dwelling, Region, Staff, Unit, WechatAccount, utcnow
from core.times import BEIJING
from core.uploads import store_photo

# (compound, project, stage reached, items with budgets in yuan and progress)
PROJECTS = (
    ("玉林北路12号院", "玉林北路12号院综合改造", "handover", (("B01", 680_000, 100), ("B02", 320_000, 100),
                                                          ("B04", 260_000, 100))),
    ("玉林小区", "玉林小区基础类改造", "construction", (("B02", 900_000, 70), ("B03", 750_000, 45),
                                                   ("B06", 1_100_000, 20))),
    ("锦官新城", "锦官新城加装电梯及管网改造", "acceptance", (("B04", 540_000, 100), ("B05", 210_000, 100))),
    ("和平小区", "和平小区完善类改造", "approval", (("B06", 1_600_000, 0), ("B09", 480_000, 0))),
    ("和平小区", "和平小区雨污分流", "publicity", (("B03", 820_000, 0),)),
    ("临园小区", "临园小区综合改造", "design", (("B01", 1_300_000, 0), ("B07", 400_000, 0))),
    ("长虹花园", "长虹花园供水管网更新", "planned", (("B02", 2_100_000, 0),)),
    ("长虹花园", "长虹花园消防设施提升", "reserve", (("B09", 650_000, 0),)),
)
STAGES = ("reserve", "planned", "design", "publicity", "approval", "construction", "acceptance")
MILESTONES = (("施工进场", "施工单位进场，围挡和安全告示已设置。", (46, 110, 160)),
              ("管网开挖", "主管网开挖完成一半，夜间不施工。", (160, 110, 46)),
              ("外墙修缮", "外墙修补和涂刷完成，脚手架拆除。", (60, 140, 80)))
WISHES = ("楼道灯经常坏，希望换成声控灯。", "下雨天院子积水，排水要改。", "想加装电梯，老人上下楼太难。",
          "自行车没地方停，希望建车棚。", "外墙掉皮，担心砸到人。", "希望增加充电桩。")
TARGETS = {"四川省": (120, 36_000), "成都市": (60, 18_000), "绵阳市": (20, 6_000), "武侯区": (12, 3_600),
           "锦江区": (10, 3_000), "涪城区": (8, 2_400)}


def png(width, height, rgb, stripe=(255, 255, 255)):
    """A small PNG picture (a coloured site photo stand-in), made without an imaging library."""
    rows = b""
    for y in range(height):
        colour = stripe if (y // 8) % 4 == 0 else rgb
        rows += b"\x00" + bytes(colour) * width

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _staff(username):
    return Staff.query.filter_by(username=username).one()


def _compound(name):
    return Compound.query.filter_by(name=name).one()


def seed_year(rng):
    """Everything of the demo's year, in Beijing time."""
    today = datetime.now(BEIJING).date()
    admin = _staff("admin")
    _targets(admin, today.year)
    accounts = _demo_accounts()
    _wishes(rng, accounts)
    for compound_name, name, stage, items in PROJECTS:
        _project(rng, admin, compound_name, name, stage, items, today, accounts)
    _vote(rng, today)
    db.session.flush()


def _targets(admin, year):
    from oversight.services import set_target
    for region in Region.query.filter(Region.name.in_(list(TARGETS))):
        set_target(admin, region.id, year, *TARGETS[region.name])


def _demo_accounts():
    accounts = WechatAccount.query.filter(WechatAccount.openid.like("demo-owner-%")).order_by(WechatAccount.id).all()
    for account in accounts:
        _consent(account)
    return accounts


def _consent(account):
    """Demo residents have read the privacy notice (where the service asks for it)."""
    from core import accounts as account_services
    record = getattr(account_services, "record_privacy_consent", None)
    if record is not None and getattr(account, "privacy_consented_at", True) is None:
        record(account, account_services.PRIVACY_VERSION)


def _wishes(rng, accounts):
    from wishes.services import file_wish
    for account, text in zip(accounts, WISHES):
        file_wish(account, "bot", text=text)


def _project(rng, admin, compound_name, name, stage, items, today, accounts):
    from projects import services as projects
    compound = _compound(compound_name)
    project = projects.create_project(admin, name, [compound.id], "county", today.year)
    for code, budget, _progress in items:
        projects.add_item(admin, project.id, code, budget=budget * 100)
    start = today - timedelta(days=200)
    for index, planned in enumerate(STAGES[1:]):
        begin = start + timedelta(days=30 * index)
        projects.plan_stage(admin, project.id, planned, begin, begin + timedelta(days=29))
    reached = STAGES.index(stage) if stage in STAGES else len(STAGES) - 1
    if reached >= STAGES.index("construction"):  # demo projects past the gate: an official's recorded override
        from projects.consent import override_gate
        override_gate(admin, project.id, "示范数据：居民表决与方案公示在本示范中未模拟")
    for index, target in enumerate(STAGES[1:reached + 1], start=1):
        projects.advance_stage(admin, project.id, target, on=min(today, start + timedelta(days=30 * (index - 1))))
    if reached >= STAGES.index("construction"):
        for item, (_code, _budget, progress) in zip(sorted(project.items, key=lambda i: i.id), items):
            projects.set_progress(admin, project.id, item.id, progress)
        projects.add_funding(admin, project.id, "central_subsidy", sum(b for _c, b, _p in items) * 60)
        projects.add_funding(admin, project.id, "city_county", sum(b for _c, b, _p in items) * 30)
        projects.add_funding(admin, project.id, "resident_cash", sum(b for _c, b, _p in items) * 10)
        for title, text, colour in MILESTONES[:2 if stage == "construction" else 3]:
            photos = [store_photo(png(96, 64, colour)), store_photo(png(96, 64, tuple(255 - c for c in colour)))]
            projects.add_milestone(admin, project.id, title, text, photos)
    if stage == "handover":
        projects.record_joint_acceptance(admin, project.id, "建设、设计、施工、监理单位与居民代表联合验收合格。",
                                         participants=[{"name": "王大爷", "role": "resident_rep"},
                                                       {"name": "李监理", "role": "supervisor"},
                                                       {"name": "张工", "role": "contractor"}])
        _satisfaction(rng, project, accounts)
    return project


def _satisfaction(rng, project, accounts):
    """The residents of the accepted compound answer the satisfaction survey the acceptance opened."""
    from surveys import engine
    from surveys.models import Survey
    from surveys.services import definition_of, respond
    survey = Survey.query.filter_by(project_id=project.id, kind="satisfaction").first()
    if survey is None:
        return
    definition = definition_of(survey)
    for account in accounts:
        answers = {}
        for question in engine.questions(definition):
            if question["type"] == "rating":
                answers[question["id"]] = rng.choice((4, 5, 5, 5, 3))
        if answers.get("overall") != 5:
            answers["improve"] = rng.choice(("楼道扶手还没装好。", "希望绿化再多一些。", "施工期间噪音较大。"))
        respond(account, survey.id, answers, submit=True)


def _vote(rng, today):
    """A vote in the first compound, opened, answered on paper (two committee members), closed and published."""
    from votes import services as votes
    compound = Compound.query.order_by(Compound.id).first()
    first, second = _staff("yulinbei"), _staff("yulinbei2")
    vote = votes.create_vote(first, "compound", compound.id, "rebuild", f"{compound.name}综合改造方案",
                             "改造内容：屋面防水、供水管网、供电线路更新。费用由政府补助和维修资金承担，详见公示方案。")
    votes.open_vote(first, vote.id, utcnow() - timedelta(minutes=1), utcnow() + timedelta(days=14))
    dwellings = db.session.scalars(select(Dwelling.id).join(Unit, Dwelling.unit_id == Unit.id)
                                   .join(Building, Unit.building_id == Building.id)
                                   .where(Building.compound_id == compound.id).order_by(Dwelling.id)).all()
    for dwelling_id in dwellings[:len(dwellings) * 7 // 8]:
        choice = "agree" if rng.random() < 0.9 else rng.choice(("disagree", "abstain"))
        entry = votes.enter_paper_ballot(first, vote.id, votes.paper_code(vote.id, dwelling_id), choice)
        votes.confirm_paper_ballot(second, vote.id, entry.id, choice)
    votes.close_vote(first, vote.id)
    votes.publish_vote(first, vote.id)
    return vote
