"""Warnings, overdue marks, automatic supervision and follow-up: each fires exactly once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.extensions import db
from hotline.models import (
    Case,
    CaseEvent,
    Notification,
    OutboxMessage,
    User,
    WebhookSubscription,
)
from hotline.services import cases, escalation, followup
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def actor(username: str) -> Actor:
    return Actor.from_user(db.session.query(User).filter_by(username=username).one())


def events(case: Case, action: str) -> list[CaseEvent]:
    return db.session.query(CaseEvent).filter_by(case_id=case.id, action=action).all()


@pytest.fixture
def case(world) -> Case:
    """A complaint dispatched Tue 2026-11-24 10:00: sign by Wed 10:00, handle by Tue Dec 1."""
    new = NewCase(content="占道经营", department="URBAN", request_type="complaint",
                        citizen_phone="13800001111")
    return register_case(actor("agent"), new, now=local("2026-11-24 10:00"))


def test_nothing_is_due_before_the_warning_point(case):
    assert escalation.process_due(case.id, local("2026-11-24 12:00")) == []
    assert escalation.due_case_ids(local("2026-11-24 12:00")) == []


def test_sign_warning_fires_once_however_often_it_is_checked(case):
    at = local("2026-11-25 08:00")  # 75% of the sign-for day has passed
    assert case.id in escalation.due_case_ids(at)
    assert escalation.process_due(case.id, at) == ["deadline_warning:sign"]
    assert escalation.process_due(case.id, at) == []
    assert escalation.process_due(case.id, at + timedelta(minutes=5)) == []
    warnings = events(case, "deadline_warning")
    assert [e.data["stage"] for e in warnings] == ["sign"]
    notices = db.session.query(Notification).filter_by(case_id=case.id).all()
    assert [(n.kind, n.department_id) for n in notices] == [
        ("deadline_warning", case.department_id)]


def test_sign_overdue_marks_the_case_and_tells_department_and_supervisors(case):
    fired = escalation.process_due(case.id, local("2026-11-25 10:30"))
    assert fired == ["deadline_warning:sign", "deadline_overdue:sign"]
    db.session.refresh(case)
    assert case.overdue is True
    overdue = events(case, "deadline_overdue")
    assert overdue[0].data["stage"] == "sign" and overdue[0].public is False
    kinds = {(n.kind, n.role) for n in db.session.query(Notification).filter_by(case_id=case.id)}
    assert ("deadline_overdue", None) in kinds and ("deadline_overdue", "supervisor") in kinds


def test_handle_overdue_then_automatic_supervision(case):
    cases.perform(actor("urban"), case.number, "accept", now=local("2026-11-24 11:00"))
    fired = escalation.process_due(case.id, local("2026-12-01 10:30"))
    assert fired == ["deadline_warning:handle", "deadline_overdue:handle"]
    db.session.refresh(case)
    assert case.escalate_at is not None and not case.supervised
    # one working day (ESCALATE_AFTER) past the deadline: supervised automatically
    assert escalation.process_due(case.id, local("2026-12-02 10:30")) == ["escalate:handle"]
    db.session.refresh(case)
    assert case.supervised
    auto = events(case, "supervise")
    assert auto[0].data == {"automatic": True}
    assert escalation.process_due(case.id, local("2026-12-09 10:30")) == []


def test_automatic_supervision_is_pushed_like_a_supervisors(case):
    db.session.add(WebhookSubscription(url="https://dept.example/events", salt="s",
                                       events=["case.supervised"],
                                       department_id=case.department_id))
    cases.perform(actor("urban"), case.number, "accept", now=local("2026-11-24 11:00"))
    escalation.process_due(case.id, local("2026-12-01 10:30"))
    assert escalation.process_due(case.id, local("2026-12-02 10:30")) == ["escalate:handle"]
    [push] = db.session.query(OutboxMessage).filter_by(channel="webhook").all()
    body = json.loads(push.body)
    assert push.template == body["type"] == "case.supervised"
    assert body["event"]["data"] == {"automatic": True} and body["case"]["number"] == case.number


def test_extension_lets_the_handle_points_fire_again_later(case):
    urban = actor("urban")
    cases.perform(urban, case.number, "accept", now=local("2026-11-24 11:00"))
    escalation.process_due(case.id, local("2026-11-30 12:00"))  # handle warning fired
    cases.perform(urban, case.number, "extend", {"days": 5, "reason": "需协调"},
                  now=local("2026-11-30 13:00"))
    cases.perform(actor("supervisor"), case.number, "approve_extension",
                  now=local("2026-11-30 14:00"))
    assert escalation.process_due(case.id, local("2026-12-01 10:30")) == []
    assert escalation.process_due(case.id, local("2026-12-08 10:30")) == [
        "deadline_warning:handle", "deadline_overdue:handle"]


def test_replied_in_time_never_goes_overdue(case):
    urban = actor("urban")
    cases.perform(urban, case.number, "accept", now=local("2026-11-24 11:00"))
    cases.perform(urban, case.number, "reply", {"content": "已处理"}, now=local("2026-11-25 09:00"))
    fired = escalation.process_due(case.id, local("2026-12-10 10:00"))
    assert "deadline_overdue:handle" not in fired


def reply(case: Case, when: str) -> None:
    urban = actor("urban")
    cases.perform(urban, case.number, "accept", now=local("2026-11-24 11:00"))
    cases.perform(urban, case.number, "reply", {"content": "已清理"}, now=local(when))


def test_followup_survey_goes_by_sms_once_then_one_reminder(case):
    reply(case, "2026-11-25 09:00")
    assert escalation.process_due(case.id, local("2026-11-25 09:00")) == ["followup_sent"]
    assert escalation.process_due(case.id, local("2026-11-25 10:00")) == []
    assert escalation.process_due(case.id, local("2026-11-26 09:30")) == ["followup_reminded"]
    assert escalation.process_due(case.id, local("2026-11-26 10:30")) == []
    messages = db.session.query(OutboxMessage).filter_by(case_id=case.id,
                                                         template="followup").all()
    assert [(m.channel, m.recipient, m.data["kind"]) for m in messages] == [
        ("sms", "13800001111", "survey"), ("sms", "13800001111", "reminder")]
    assert case.number in messages[0].body and case.query_code in messages[0].body
    assert [e.action for e in cases.timeline(case, public_only=True)][-2:] == [
        "followup_sent", "followup_reminded"]


def test_unanswered_followup_closes_as_not_rated(case):
    reply(case, "2026-11-25 09:00")
    assert escalation.process_due(case.id, local("2026-11-25 09:00")) == ["followup_sent"]
    assert escalation.process_due(case.id, local("2026-11-26 09:00")) == ["followup_reminded"]
    assert escalation.process_due(case.id, local("2026-11-28 08:59")) == []
    assert escalation.process_due(case.id, local("2026-11-28 09:01")) == ["followup_expired"]
    db.session.refresh(case)
    assert case.status.value == "closed"
    assert case.satisfaction.value == "not_rated"
    assert escalation.process_due(case.id, local("2026-11-29 09:00")) == []


def test_rating_before_expiry_stops_the_followup(case):
    reply(case, "2026-11-25 09:00")
    escalation.process_due(case.id, local("2026-11-25 09:00"))
    cases.rate(case, cases.Satisfaction.SATISFIED, None, now=local("2026-11-25 12:00"))
    assert escalation.process_due(case.id, local("2026-11-30 09:00")) == []
    assert db.session.query(OutboxMessage).filter_by(case_id=case.id,
                                                     template="followup").count() == 1


def test_phone_case_without_mobile_goes_to_the_call_list(world):
    new = NewCase(content="路灯不亮", department="URBAN", citizen_phone="028-86612345")
    case = register_case(actor("agent"), new, now=local("2026-11-24 10:00"))
    reply(case, "2026-11-25 09:00")
    escalation.process_due(case.id, local("2026-11-25 09:00"))
    assert db.session.query(OutboxMessage).count() == 0
    assert events(case, "followup_sent")[0].data == {"method": "call_list"}
    assert [c.number for c in followup.call_list()] == [case.number]


def test_sweep_query_finds_every_kind_of_due_point(world):
    agent, urban = actor("agent"), actor("urban")
    waiting = register_case(agent, NewCase(content="a", department="URBAN"),
                                  now=local("2026-11-24 10:00"))
    handling = register_case(agent, NewCase(content="b", department="URBAN"),
                                   now=local("2026-11-10 10:00"))
    cases.perform(urban, handling.number, "accept", now=local("2026-11-10 11:00"))
    replied = register_case(agent, NewCase(content="c", department="URBAN"),
                                  now=local("2026-11-24 10:00"))
    reply(replied, "2026-11-24 12:00")
    untouched = register_case(agent, NewCase(content="d"),
                                    now=local("2026-11-24 10:00"))
    due = escalation.due_case_ids(local("2026-11-25 12:00"))
    assert set(due) == {waiting.id, handling.id, replied.id}
    assert untouched.id not in due
