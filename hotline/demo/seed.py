"""The demo city: departments, categories, accounts and cases in every state.

Everything goes through the same services the application uses, so the demo's timelines
are real event logs; loading twice changes nothing. Like any command, the loader owns its
transactions: the starter model, the reference data and the cases are committed in turn
(a case names departments and categories, which are looked up once committed).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from hotline.demo import kb as kb_demo
from hotline.extensions import db
from hotline.models import Case, Department, ModelSource, Role, Satisfaction, User, utcnow
from hotline.services import cases, directory, leader_mailboxes, registration, suggestions
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

CITY = Path(__file__).parent / "city.json"
DEMO_PASSWORD = "demo-hotline-2025"
DEMO_ACCOUNTS = (
    ("agent", "agent", "话务员 王芳", None),
    ("agent2", "agent", "话务员 李强", None),
    ("urban", "department", "市城管委 张伟", "URBAN"),
    ("housing", "department", "市住建局 刘洋", "HOUSING"),
    ("ecoenv", "department", "市生态环境局 陈静", "ECOENV"),
    ("hrss", "department", "市人社局 杨磊", "HRSS"),
    ("jinjiang", "department", "锦江区政府 赵敏", "JINJIANG"),
    ("wuhou", "department", "武侯区政府 周杰", "WUHOU"),
    ("chunxi", "department", "春熙路街道 黄蓉", "JINJIANG-CHUNXI"),
    ("shuyuan", "department", "书院街街道 马超", "JINJIANG-SHUYUAN"),
    ("supervisor", "supervisor", "督办员 孙丽", None),
    ("admin", "admin", "系统管理员", None),
)

# (minutes ago, phone, name, type, category, address, content, path of actions):
# dispatch:LEAD+ASSISTING..., pass:STREET (the district passes it on), note:DEPARTMENT
DEMO_CASES = (
    (4300, "13800001111", "陈先生", "complaint", "noise", "武侯区玉林北路12号",
     "玉林北路那个酒吧每天晚上放音乐放到凌晨两点，楼上住户根本睡不着，打了好几次电话了还是没人管。",
     ("dispatch:WUHOU", "accept", "reply", "close")),
    (3000, "13900002222", "李女士", "complaint", "property_mgmt", "锦江区春熙路街道某小区",
     "小区物业把消防通道租出去停车，电梯坏了半个月也不修，物业费倒是一分不少收。",
     ("dispatch:JINJIANG", "accept", "pass:JINJIANG-CHUNXI")),
    (2600, "13700003333", "王大爷", "help", "wage_arrears", "成华区建设路",
     "我在工地上干了三个月活，包工头一直拖起工资不给，快过年了屋头等到钱用，请帮帮忙。",
     ("dispatch:HRSS", "accept", "extend")),
    (1500, "13600004444", "赵女士", "consultation", "school_enrolment", "金牛区抚琴街道",
     "请问今年小学一年级入学报名需要准备哪些材料？租房的可以报名吗？",
     ("resolve",)),
    (900, "13500005555", "孙先生", "complaint", "street_vending", "锦江区书院街",
     "书院街路口每天早上摆摊卖菜的占了半边路，车都开不过去，还到处是垃圾。",
     ("dispatch:URBAN+JINJIANG-SHUYUAN", "note:JINJIANG-SHUYUAN")),
    (600, "13400006666", None, "report", "air_pollution", "青羊区草市街",
     "附近有个工地晚上偷偷焚烧垃圾，味道刺鼻，窗户都不敢开。",
     ()),
    (300, "13300007777", "周女士", "suggestion", "bus_route", "武侯区簇桥街道",
     "建议增开簇桥到火车南站的公交线路，现在早高峰要转两次车，太不方便了。",
     ("dispatch:TRANSPORT",)),
    (7000, "13800001111", "陈先生", "complaint", "sanitation", "武侯区玉林北路",
     "玉林北路垃圾桶满了好几天没人清运，臭气熏天，夏天还招苍蝇。",
     ("dispatch:URBAN", "accept", "reply", "feedback:dissatisfied")),
    (5000, "15800008888", "吴先生", "help", "water_supply", "成华区猛追湾街道",
     "我们小区从昨天下午开始停水，到现在还没来水，也没有看到停水通知。",
     ("dispatch:HOUSING", "return", "dispatch:URBAN", "accept", "reply")),
    (200, "18600009999", "郑女士", "complaint", "consumer_rights", "锦江区太古里",
     "在太古里一家店买的衣服，第二天就开线了，商家不给退也不给换，态度还很恶劣。",
     ()),
)

ANSWERS = {
    "reply": "经现场核查，已责令相关单位整改，并将持续跟进。感谢您对我们工作的监督。",
    "resolve": "已向市民解答：入学报名需准备户口簿、房产证或租赁备案证明、预防接种证明等材料，"
               "具体以所在学区公告为准。",
    "extend": "需协调劳动监察大队与建设单位共同处理，申请延期。",
    "return": "该事项不属于我单位职责，建议转供水部门处理。",
    "note": "街道已安排网格员每天早上7点到书院街路口巡查，并联系了附近农贸市场可提供临时摊位。",
}


def load_demo() -> str:
    """Load the demo city if it is not there yet, and say what was done."""
    trained = _ensure_starter_model()  # first: a failure here leaves no half demo
    note = " (starter routing model trained)" if trained else ""
    if db.session.scalar(select(func.count()).select_from(Department)):
        loaded = kb_demo.load_kb()
        return "demo data already present" + note + (f", {loaded} kb articles" if loaded else "")
    city = json.loads(CITY.read_text(encoding="utf-8"))
    with unit_of_work():
        for dept in city["departments"]:
            directory.add_department(dept["code"], dept["name"], parent=dept.get("parent"),
                                     district=dept.get("district"))
        for cat in city["categories"]:
            directory.add_category(cat["code"], cat["name"], parent=cat.get("parent"),
                                   department=cat.get("department"),
                                   local_routing=cat.get("local", False))
        for username, role, name, dept in DEMO_ACCOUNTS:
            directory.add_user(username, role=role, password=DEMO_PASSWORD,
                               display_name=name, department=dept)
        _demo_mailboxes()
    with unit_of_work():
        made = _demo_cases(utcnow())
    loaded = kb_demo.load_kb()
    return (f"demo loaded: {len(city['departments'])} departments, "
            f"{len(city['categories'])} categories, {len(DEMO_ACCOUNTS)} accounts, "
            f"{made} cases, {loaded} kb articles{note}")


#: leaders' mailboxes (领导信箱): code, name, holder, kind, the office that reads the letters
DEMO_MAILBOXES = (
    ("mayor", "市长信箱", "市长", "mayor", "GOVOFFICE"),
    ("secretary", "市委书记信箱", "市委书记", "party_secretary", "GOVOFFICE"),
    ("housing-head", "市住建局局长信箱", "市住房和城乡建设局局长", "department_head", "HOUSING"),
)


def _demo_mailboxes() -> None:
    """The government office that reads the mayor's and secretary's letters, and the
    mailboxes."""
    directory.add_department("GOVOFFICE", "市政府办公厅")
    directory.add_user("govoffice", role="department", password=DEMO_PASSWORD,
                       display_name="市政府办公厅 吴静", department="GOVOFFICE")
    for position, (code, name, holder, kind, office) in enumerate(DEMO_MAILBOXES):
        leader_mailboxes.save_mailbox(code, name=name, holder=holder, kind=kind,
                                      office=office, position=position)


def _ensure_starter_model() -> bool:
    """Train and activate the shipped starter model when no model is active yet."""
    from workflows.retrain import train_version

    with unit_of_work():
        starter = suggestions.starter_training_data()
    if starter is None:
        return False
    train_version(ModelSource.STARTER, *starter, activate=True)
    return True


def _actor(username: str) -> Actor:
    return Actor.from_user(db.session.scalars(select(User).where(
        User.username == username)).one())


def _department_actor(code: str) -> Actor:
    user = db.session.scalars(select(User).join(Department, User.department_id == Department.id)
                              .where(Department.code == code)).first()
    if user is not None:
        return Actor.from_user(user)
    dept = directory.department_by_code(code)
    return Actor(label=dept.name, role=Role.DEPARTMENT, department_id=dept.id)


def _demo_cases(now: datetime) -> int:
    agent, supervisor = _actor("agent"), _actor("supervisor")
    for minutes, phone, name, kind, category, address, content, path in DEMO_CASES:
        at = now - timedelta(minutes=minutes)
        case = registration.register_case(agent, registration.NewCase(
            content=content, channel="phone", citizen_name=name, citizen_phone=phone,
            address=address, request_type=kind, category=category), now=at)
        _play(case, path, at, agent, supervisor)
    return len(DEMO_CASES)


def _play(case: Case, path: tuple[str, ...], at: datetime, agent: Actor,
          supervisor: Actor) -> None:
    department: Actor | None = None
    for step_no, step in enumerate(path, start=1):
        when = at + timedelta(minutes=20 * step_no)
        action, _, arg = step.partition(":")
        if action == "dispatch":
            lead, *assist = arg.split("+")
            cases.perform(agent if case.department_id is None else supervisor, case.number,
                          "dispatch", {"department": lead, "assist": assist}, now=when)
            department = _department_actor(lead)
        elif action == "pass":  # 二级派单: the district passes its case on to a street
            cases.perform(department, case.number, "dispatch", {"department": arg}, now=when)
            department = _department_actor(arg)
        elif action == "note":
            cases.perform(_department_actor(arg), case.number, "note",
                          {"content": ANSWERS["note"]}, now=when)
        elif action == "feedback":
            cases.rate(case, Satisfaction(arg), "问题还是没有解决", now=when)
        elif action == "close":
            cases.perform(agent, case.number, "close", {}, now=when)
        elif action == "resolve":
            cases.perform(agent, case.number, "resolve", {"content": ANSWERS["resolve"]},
                          now=when)
        else:
            params = {"content": ANSWERS.get(action), "reason": ANSWERS.get(action), "days": 5}
            cases.perform(department, case.number, action, params, now=when)

