"""The citizen is written to in their own language, once per step (one message when a case
is dispatched as it is registered), told where a merged request went, and not woken at
night by anything they did not just ask for."""

from __future__ import annotations

import types
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Case, OutboxMessage
from hotline.services import cases, followup, outbox
from hotline.services.actors import Actor
from hotline.services.intake import process
from hotline.unit_of_work import unit_of_work
from tests.intake.conftest import SMS_SECRET, outbox_to, post_sms, sms_body
from tests.intake.test_mailbox import letter, shown_number_and_code, submit
from tests.notices import test_citizen_notices as notices_test
from tests.notices.test_citizen_notices import act
from tests.notices.test_my_cases import last_code, lookup

AGENT = notices_test.AGENT
DAY = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Chengdu
NIGHT = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)  # 23:30 in Chengdu
MORNING = datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 08:00 the next day in Chengdu
MOBILE = "13800004444"


def notices(case_id: int) -> list[OutboxMessage]:
    db.session.expire_all()  # some were written by a request
    return notices_test.notices(case_id)


def register(now=DAY, **fields) -> Case:
    fields.setdefault("citizen_phone", MOBILE)
    fields.setdefault("department", None)
    return notices_test.register(now, **fields)


def test_an_english_speaking_citizen_hears_every_step_in_english(world):
    case = register(language="en-GB")
    act(AGENT, case, "dispatch", {"department": "URBAN"})
    registered, dispatched = notices(case.id)
    assert registered.body.startswith("[12345 Hotline] Your request is registered: case ")
    assert case.query_code in registered.body and "【" not in registered.body
    assert dispatched.body.startswith(f"[12345 Hotline] Case {case.number} has been passed")
    assert registered.data["language"] == "en"


def test_without_a_language_the_deployments_is_used(world, app):
    assert notices(register().id)[0].body.startswith("【12345热线】您的诉求已受理")
    app.config["LANGUAGE"] = "en"
    assert notices(register().id)[0].body.startswith("[12345 Hotline]")


def test_dispatched_at_registration_is_one_message_naming_the_department(world):
    case = register(department="URBAN")
    [message] = notices(case.id)
    assert message.data["kind"] == "dispatched_at_once"
    assert case.number in message.body and case.query_code in message.body
    assert "已转交市城市管理委员会办理" in message.body


def test_a_merged_case_tells_its_citizen_which_case_carries_the_request(world, client):
    primary = register(department="URBAN", citizen_phone="13900005555")
    duplicate = register(language="en")
    act(AGENT, duplicate, "merge", {"into": primary.number})
    merged = notices(duplicate.id)[-1]
    assert merged.data["kind"] == "merged"
    assert primary.number in merged.body and f"number={duplicate.number}" in merged.body
    assert primary.query_code not in merged.body  # the other citizen's code never travels
    # the link opens the citizen's own case, which shows where it went and how that goes
    page = client.get(f"/track?number={duplicate.number}&code={duplicate.query_code}")
    html = page.get_data(as_text=True)
    assert f'id="merged-into">{primary.number}<' in html and "待签收" in html


def test_the_survey_and_the_answer_wait_out_the_quiet_hours(world, app, monkeypatch):
    app.config["SMS_QUIET_HOURS"] = (time(22), time(8))
    case = register(department="URBAN", now=NIGHT)
    urban = _staff("urban")
    act(urban, case, "accept", now=NIGHT)
    act(urban, case, "reply", {"content": "已安排巡查。"}, now=NIGHT)
    monkeypatch.setattr(outbox, "utcnow", lambda: NIGHT)  # the survey's hold is decided now
    with unit_of_work():
        followup.send_survey(db.session.get(Case, case.id), reminder=False)
    survey = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "followup", OutboxMessage.case_id == case.id)).one()
    assert survey.next_attempt_at == MORNING
    assert [m.next_attempt_at == MORNING for m in notices(case.id)] == [False, True]


def test_a_one_time_code_goes_at_once_at_night_in_the_clients_language(world, client, app):
    app.config["SMS_QUIET_HOURS"] = (time(0), time(23, 59))  # quiet all day but a minute
    register()
    assert lookup(client, phone=MOBILE).status_code == 202
    otp = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.template == "otp")).one()
    assert otp.body.startswith("【12345热线】") and otp.next_attempt_at <= datetime.now(UTC)


def test_a_one_time_code_in_english_for_an_english_client(world, client):
    client.post("/api/v1/track/lookup", json={"phone": "13800006666"},
                headers={"Accept-Language": "en-US,en;q=0.9"})
    english = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == "13800006666")).one()
    assert english.body.startswith("[12345 Hotline] Your code")


def test_my_cases_in_english_switches_the_citizens_open_cases_to_english(world, client):
    case = register()
    lookup(client, phone=MOBILE)
    answer = client.post("/api/v1/track/lookup", json={"phone": MOBILE, "otp": last_code(MOBILE)},
                         headers={"Accept-Language": "en"})
    assert answer.status_code == 200
    act(AGENT, case, "dispatch", {"department": "URBAN"})
    assert notices(case.id)[-1].body.startswith("[12345 Hotline] Case")


def test_a_mailbox_letter_from_the_english_page_is_answered_in_english(client, world):
    client.set_cookie("lang", "en")
    number, _ = shown_number_and_code(submit(client, letter(phone=MOBILE)))
    case = db.session.scalars(select(Case).where(Case.number == number)).one()
    assert case.language == "en"
    assert notices(case.id)[0].body.startswith("[12345 Hotline] Your request is registered")


def test_an_english_sms_is_answered_in_english_with_the_department_in_one_message(
        client, app, world, monkeypatch):
    app.config["SMS_SECRET"] = SMS_SECRET
    def dispatch(case):
        cases.dispatch_to(case, Actor.system("system"), _department("URBAN"), note=None,
                          now=case.created_at)
        cases.announce(case, cases.CaseAction.DISPATCH)

    monkeypatch.setattr(process, "suggestions", types.SimpleNamespace(auto_dispatch=dispatch))
    body = sms_body(sender=MOBILE, text="The street light on Shuyuan Street is broken")
    assert post_sms(client, body).status_code == 200
    [reply] = outbox_to(MOBILE)  # the acknowledgement only: no second SMS for the dispatch
    assert reply.template == "intake_reply"
    assert reply.body.startswith("[12345 Hotline] Your request is registered")
    assert "passed to 市城市管理委员会" in reply.body


@pytest.mark.parametrize("text, language", [
    ("书院街的路灯坏了", "zh_CN"), ("The street light is broken", "en"),
    ("Light 坏了", "zh_CN"), ("1", None), ("ok thanks", None), ("", None)])
def test_the_language_of_a_message_is_read_from_its_script(text, language):
    from hotline.channels.text import language_of

    assert language_of(text) == language


def _staff(username: str) -> Actor:
    from hotline.models import User

    return Actor.from_user(db.session.scalars(select(User).where(
        User.username == username)).one())


def _department(code: str):
    from hotline.services import directory

    return directory.department_by_code(code)
