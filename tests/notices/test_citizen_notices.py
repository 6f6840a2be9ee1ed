"""The citizen hears every step of their case on their own channel, once, in the same
transaction as the change."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import OutboxMessage, Role, Satisfaction, User, utcnow
from hotline.services import cases, citizen_notices, registration
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

AGENT = Actor(label="话务员甲", role=Role.AGENT)
SUPERVISOR = Actor(label="督办员", role=Role.SUPERVISOR)
DAY = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Chengdu, a Tuesday
MOBILE = "13800001111"


def staff(world, username: str) -> Actor:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    return Actor.from_user(user)


def notices(case_id: int | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.template == "notice")
    if case_id is not None:
        query = query.where(OutboxMessage.case_id == case_id)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def register(now=DAY, **fields):
    fields.setdefault("citizen_phone", MOBILE)
    fields.setdefault("department", "URBAN")
    new = registration.NewCase(content=fields.pop("content", "书院街路口每天早上占道卖菜"),
                               **fields)
    with unit_of_work(keep_loaded=True):
        return registration.register_case(AGENT, new, now=now)


def act(actor, case, action, params=None, now=DAY):
    with unit_of_work():
        cases.perform(actor, case.number, action, params or {}, now=now)


def test_every_step_of_a_phone_case_reaches_the_citizen_by_sms_once(world):
    case = register()
    number, code = case.number, case.query_code
    urban = staff(world, "urban")
    act(urban, case, "accept")
    act(urban, case, "extend", {"days": 3, "reason": "需要协调多个部门"})
    act(SUPERVISOR, case, "approve_extension")
    act(urban, case, "reply", {"content": "经核查，已安排执法人员每日早间巡查。" * 10})
    act(SUPERVISOR, case, "reopen", {"reason": "市民反映仍有占道"})
    act(urban, case, "reply", {"content": "已加强巡查并设置隔离栏。"})
    act(AGENT, case, "close")

    sent = notices(case.id)
    kinds = [m.data["kind"] for m in sent]
    # registered and dispatched at once: one message that says both
    assert kinds == ["dispatched_at_once", "extended", "replied", "reopened", "replied",
                     "closed"]
    assert {m.channel for m in sent} == {"sms"} and {m.recipient for m in sent} == {MOBILE}
    registered, extended, first_reply = (m.body for m in sent[:3])
    assert number in registered and code in registered and f"code={code}" in registered
    assert "已转交市城市管理委员会办理" in registered
    assert "延长至 2026-03-" in extended
    assert "…" in first_reply and "/track?number=" in first_reply  # first part and the link
    assert "已加强巡查并设置隔离栏。" in sent[4].body
    assert len({m.idempotency_key for m in sent}) == len(sent)
    assert all(m.next_attempt_at <= utcnow() for m in sent)  # daytime: nothing held


def test_a_rolled_back_change_sends_nothing(world):
    case = register()
    before = len(notices(case.id))
    with pytest.raises(RuntimeError), unit_of_work():
        cases.perform(staff(world, "urban"), case.number, "accept", now=DAY)
        cases.perform(staff(world, "urban"), case.number, "reply",
                      {"content": "答复"}, now=DAY)
        raise RuntimeError("the view failed after the reply")
    assert len(notices(case.id)) == before


def test_an_sms_in_the_quiet_hours_waits_for_the_morning(world, app):
    app.config["SMS_QUIET_HOURS"] = (time(22), time(8))
    night = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 in Chengdu
    case = register(now=night)
    act(staff(world, "urban"), case, "accept", now=night)
    act(staff(world, "urban"), case, "reply", {"content": "已安排巡查。"}, now=night)
    registered, replied = notices(case.id)
    # the registration answers the caller now; the answer waits for 08:00 in Chengdu
    assert registered.next_attempt_at <= utcnow()
    assert replied.next_attempt_at == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


def test_a_mailbox_letter_with_an_address_hears_by_email_with_the_whole_answer(world):
    case = register(channel="mailbox", citizen_phone=None, citizen_contact="li@example.com")
    urban = staff(world, "urban")
    act(urban, case, "accept")
    answer = "已核实。" + "详细情况如下。" * 40
    act(urban, case, "reply", {"content": answer})
    sent = notices(case.id)
    assert {m.channel for m in sent} == {"email"}
    assert answer in sent[-1].body and sent[-1].subject == f"工单 {case.number} 已答复"


def test_a_channel_switched_off_sends_nothing_of_that_kind(world):
    with unit_of_work():
        citizen_notices.update_setting("dispatched", sms=False, wechat=True, email=True,
                                       text_zh="转{department}", text_en="to {department}")
    case = register(department=None)
    act(AGENT, case, "dispatch", {"department": "URBAN"})
    assert [m.data["kind"] for m in notices(case.id)] == ["registered"]


def test_an_admins_text_is_used_and_an_unknown_placeholder_refused(world):
    with unit_of_work():
        citizen_notices.update_setting("registered", sms=True, wechat=True, email=True,
                                       text_zh="收到：{number}/{code}", text_en="Got {number}")
    case = register(department=None)
    assert notices(case.id)[0].body == f"收到：{case.number}/{case.query_code}"
    with pytest.raises(citizen_notices.InvalidInput) as refused:
        citizen_notices.update_setting("registered", sms=True, wechat=True, email=True,
                                       text_zh="{phone}", text_en="x")
    assert refused.value.field == "text_zh"


def test_english_deployments_send_the_english_text(world, app):
    app.config["LANGUAGE"] = "en"
    case = register()
    assert notices(case.id)[0].body.startswith("[12345 Hotline] Your request is registered")


def test_the_citizens_own_rating_is_answered_where_they_rated(world):
    case = register()
    urban = staff(world, "urban")
    act(urban, case, "accept")
    act(urban, case, "reply", {"content": "已处理"})
    with unit_of_work():
        cases.rate(cases.get_case(AGENT, case.number), Satisfaction.SATISFIED, None, now=DAY)
    assert "closed" not in [m.data["kind"] for m in notices(case.id)]


def test_a_citizen_with_no_mobile_or_address_hears_nothing(world):
    case = register(citizen_phone="02887654321")
    assert notices(case.id) == []


def test_the_staff_case_page_shows_the_messages_masked(world, client, auth):
    case = register()
    auth.login("supervisor")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "138****1111" in page and MOBILE not in page
    assert "市城市管理委员会办理" in page


def test_the_admin_page_saves_and_refuses_by_field(world, client, auth):
    auth.login("admin")
    assert client.get("/admin/notices").status_code == 200
    response = client.post("/admin/notices/closed", data={
        "sms": "1", "text_zh": "办结 {nope}", "text_en": "closed"}, follow_redirects=True)
    assert "nope" in response.get_data(as_text=True)
    client.post("/admin/notices/closed", data={"sms": "1", "text_zh": "已办结 {number}",
                                               "text_en": "closed {number}"})
    setting = citizen_notices.setting_for(citizen_notices.NoticeKind.CLOSED)
    assert setting.text_zh == "已办结 {number}" and setting.sms and not setting.email
    assert client.post("/admin/notices/nosuch", data={}).status_code == 404
