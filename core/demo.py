"""A believable demo province: regions, compounds from 24 to 2,000 dwellings, owners, staff, and its year."""
import csv
import importlib
import io
import random

from core import catalogue, registry
from core.auth import Role
from core.extensions import db
from core.models import Building, Compound, Dwelling, Person, Residency, Staff, Unit
from core.staff import create_staff

DEMO_PASSWORD = "demo-pass-2026"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国淑珍德福春梅喆䶮"
DEVELOPERS = ("成都锦城房地产开发有限公司", "绵阳长虹置业有限公司")

# (city, county, street, community, compound, buildings, units per building, floors, flats per floor, built)
COMPOUNDS = (
    ("成都市", "武侯区", "玉林街道", "玉林北路社区", "玉林北路12号院", 1, 2, 6, 2, 1988),
    ("成都市", "武侯区", "玉林街道", "玉林北路社区", "玉林小区", 5, 2, 6, 2, 1992),
    ("成都市", "武侯区", "浆洗街街道", "锦官新城社区", "锦官新城", 5, 3, 5, 4, 1996),
    ("成都市", "锦江区", "春熙路街道", "和平社区", "和平小区", 10, 3, 5, 4, 1995),
    ("绵阳市", "涪城区", "城厢街道", "临园社区", "临园小区", 10, 4, 6, 4, 1998),
    ("绵阳市", "涪城区", "城厢街道", "临园社区", "长虹花园", 25, 4, 10, 2, 1999),
)
STAFF = (
    ("admin", "系统管理员", Role.ADMIN, ("四川省",)),
    ("province", "省住建厅 李处长", Role.PROVINCE, ("四川省",)),
    ("chengdu", "成都市住建局 王科长", Role.CITY, ("四川省", "成都市")),
    ("mianyang", "绵阳市住建局 周科长", Role.CITY, ("四川省", "绵阳市")),
    ("wuhou", "武侯区住建局 张主任", Role.COUNTY, ("四川省", "成都市", "武侯区")),
    ("jinjiang", "锦江区住建局 刘主任", Role.COUNTY, ("四川省", "成都市", "锦江区")),
    ("yulin", "玉林街道办 陈干事", Role.STREET, ("四川省", "成都市", "武侯区", "玉林街道")),
    ("yulinbei", "玉林北路社区 赵书记", Role.COMMITTEE, ("四川省", "成都市", "武侯区", "玉林街道", "玉林北路社区")),
    ("jinguan", "锦官新城社区 孙主任", Role.COMMITTEE, ("四川省", "成都市", "武侯区", "浆洗街街道", "锦官新城社区")),
    ("heping", "和平社区 吴主任", Role.COMMITTEE, ("四川省", "成都市", "锦江区", "春熙路街道", "和平社区")),
    ("linyuan", "临园社区 郑主任", Role.COMMITTEE, ("四川省", "绵阳市", "涪城区", "城厢街道", "临园社区")),
    # a second member per committee: paper ballots count once another person confirms them
    ("yulinbei2", "玉林北路社区 钱委员", Role.COMMITTEE, ("四川省", "成都市", "武侯区", "玉林街道", "玉林北路社区")),
    ("jinguan2", "锦官新城社区 冯委员", Role.COMMITTEE, ("四川省", "成都市", "武侯区", "浆洗街街道", "锦官新城社区")),
    ("heping2", "和平社区 何委员", Role.COMMITTEE, ("四川省", "成都市", "锦江区", "春熙路街道", "和平社区")),
    ("linyuan2", "临园社区 许委员", Role.COMMITTEE, ("四川省", "绵阳市", "涪城区", "城厢街道", "临园社区")),
)
LEVELS = ("province", "city", "county", "street", "community")


def has_data():
    """Whether any compound exists."""
    return db.session.query(Compound.id).first() is not None


def make_id_number(rng, birth_year):
    """A fake but well-formed mainland ID number (region code 510107, valid check digit)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"510107{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


def _region_path(regions, names):
    parent = None
    for level, name in zip(LEVELS, names):
        key = tuple(names[:LEVELS.index(level) + 1])
        if key not in regions:
            regions[key] = registry.add_region(parent, level, name)
        parent = regions[key]
    return parent


def roll_rows(rng, spec, people):
    """Rows of a voter roll for one demo compound; `people` is shared so owners can hold several flats."""
    _c, _co, _s, _cm, name, buildings, units, floors, per_floor, _built = spec
    rows = []
    developer = DEVELOPERS[rng.randrange(len(DEVELOPERS))]
    for b in range(1, buildings + 1):
        for u in range(1, units + 1):
            for f in range(1, floors + 1):
                for r in range(1, per_floor + 1):
                    room = f"{f}{r:02d}"
                    area = rng.randint(4800, 12800)
                    kind = rng.random()
                    registered = f"{area // 100}.{area % 100:02d}" if kind < 0.85 else ""
                    surveyed = f"{area // 100}.{area % 100:02d}㎡" if 0.85 <= kind < 0.95 else ""
                    contract = f"{area // 100 + 2}.{area % 100:02d}"
                    base = [str(b), str(u), room, registered, surveyed, contract]
                    if rng.random() < 0.03:
                        rows.append(base + [developer, "", "", "是", "否"])
                        continue
                    if people and rng.random() < 0.06:
                        owner = rng.choice(people)  # one buyer with several flats
                    else:
                        owner = (rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))),
                                 make_id_number(rng, rng.randint(1940, 1990)),
                                 f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}")
                        people.append(owner)
                    rows.append(base + [owner[0], owner[1], owner[2], "否", "是"])
                    if rng.random() < 0.08:  # a co-owner on a second row
                        spouse = (rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                                  make_id_number(rng, rng.randint(1940, 1990)), "")
                        rows.append(base + [spouse[0], spouse[1], spouse[2], "否", "是"])
    return rows


HEADER = ["楼栋", "单元", "房号", "登记面积", "实测面积", "合同面积", "业主姓名", "证件号码", "手机号",
          "开发商持有", "已交付"]


def seed(rng_seed=2026):
    """Create the demo province, its compounds with imported rolls, tenants and staff."""
    rng = random.Random(rng_seed)
    catalogue.sync_base_catalogue()
    regions = {}
    people = []
    for spec in COMPOUNDS:
        city, county, street, community_name, name, buildings, units, floors, per_floor, built = spec
        community = _region_path(regions, ("四川省", city, county, street, community_name))
        households = buildings * units * floors * per_floor
        compound = registry.add_compound(
            community, None, name=name, address=f"{city}{county}{name}", built_year=built,
            households=households, building_count=buildings, heritage=name == "玉林北路12号院",
            dangerous=False, demolition=False, reserve_level="county", status="reserve")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(roll_rows(rng, spec, people))
        registry.import_roll(None, compound.id, out.getvalue().encode("utf-8"), filename=f"{name}.csv")
        for building in Building.query.filter_by(compound_id=compound.id):
            building.floors, building.has_lift = floors, floors >= 10
        compound.total_floor_area = db.session.query(db.func.sum(Dwelling.contract_area)).join(Unit).join(
            Building).filter(Building.compound_id == compound.id).scalar()
        _add_tenants(rng, compound)
    for username, full_name, role, names in STAFF:
        region = _region_path(regions, names)
        create_staff(None, username=username, name=full_name, role=role, region_id=region.id,
                     password=DEMO_PASSWORD)
    _bind_demo_residents()
    db.session.flush()
    # the year's projects, targets, satisfaction and a published vote (domain packages, named not imported)
    importlib.import_module("ops.demo").seed_year(rng)
    db.session.flush()


DEMO_RESIDENTS = 6


def _bind_demo_residents():
    """WeChat users 'demo-owner-1'… linked to flats of the first compound, to chat with the bot as."""
    from core.accounts import PRIVACY_VERSION, account_for
    from core.models import utcnow
    from core.models import Ownership
    first = Compound.query.order_by(Compound.id).first()
    ownerships = (Ownership.query.join(Dwelling).join(Unit).join(Building)
                  .filter(Building.compound_id == first.id, Ownership.developer_held.is_(False))
                  .order_by(Dwelling.id).limit(DEMO_RESIDENTS).all())
    for number, ownership in enumerate(ownerships, start=1):
        account = account_for(f"demo-owner-{number}")
        account.dwelling_id, account.person_id, account.kind, account.follows = (
            ownership.dwelling_id, ownership.person_id, "owner", True)
        account.privacy_version, account.privacy_consented_at = PRIVACY_VERSION, utcnow()


def _add_tenants(rng, compound):
    dwellings = Dwelling.query.join(Unit).join(Building).filter(Building.compound_id == compound.id).all()
    for dwelling in rng.sample(dwellings, max(1, len(dwellings) // 10)):
        tenant = Person(name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), locale="zh_Hans_CN")
        db.session.add(tenant)
        db.session.add(Residency(dwelling=dwelling, person=tenant, kind="tenant"))
    db.session.flush()


def logins_text():
    """The demo staff logins, one a line."""
    names = {s.username: s for s in Staff.query.all()}
    lines = [f"Demo staff logins (password for all: {DEMO_PASSWORD}):"]
    for username, _name, role, region_names in STAFF:
        if username in names:
            lines.append(f"  {username:<10} {role:<10} {region_names[-1]}")
    return "\n".join(lines)
