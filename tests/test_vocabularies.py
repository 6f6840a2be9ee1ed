"""Every state is an enum: its column round-trips on the database as the same string it held
as free text, the strings the API and pages emit are unchanged, and an unknown value is
refused before it reaches the table."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.exc import StatementError

from hotline.extensions import db
from hotline.models import (
    CalendarDay,
    CalendarKind,
    CaseAction,
    CaseEvent,
    ChatAuthor,
    ChatMessage,
    ClassifierModel,
    Conversation,
    ConversationStatus,
    CorrectionSource,
    DayKind,
    DaySource,
    InboundMessage,
    InboundStatus,
    ModelSource,
    ModelStatus,
    OutboxMessage,
    OutboxStatus,
    RoutingCorrection,
    SlaPolicy,
)
from hotline.services import cases
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case
from hotline.unit_of_work import unit_of_work

AGENT = Actor.system("测试")

# (enum, the strings the code, the API and the pages have always used)
VALUES = [
    (InboundStatus, ["received", "processing", "case", "appended", "answered", "ignored",
                     "review", "discarded"]),
    (ConversationStatus, ["waiting", "active", "closed"]),
    (ChatAuthor, ["citizen", "agent", "system"]),
    (OutboxStatus, ["pending", "sending", "sent", "dead"]),
    (ModelStatus, ["training", "ready", "active", "retired", "failed"]),
    (ModelSource, ["starter", "cases", "csv"]),
    (CorrectionSource, ["intake", "redispatch", "return"]),
    (DayKind, ["holiday", "workday"]),
    (DaySource, ["official", "admin"]),
    (CalendarKind, ["workday", "natural"]),
    (CaseAction, ["register", "dispatch", "accept", "return", "extend", "approve_extension",
                  "reject_extension", "reply", "resolve", "close", "supervise", "reopen",
                  "merge", "merged_in", "feedback", "repeat", "supplement",
                  "deadline_warning", "deadline_overdue", "escalate", "followup_sent",
                  "followup_reminded", "followup_expired", "note", "recall"]),
]

# (column, the VARCHAR length it had as a free string)
COLUMNS = [
    (InboundMessage.status, 12), (Conversation.status, 12), (ChatMessage.author, 10),
    (OutboxMessage.status, 12), (ClassifierModel.status, 12), (ClassifierModel.source, 20),
    (RoutingCorrection.source, 20), (CalendarDay.kind, 10), (CalendarDay.source, 10),
    (SlaPolicy.calendar, 10), (CaseEvent.action, 40),
]


@pytest.mark.parametrize("enum, values", VALUES, ids=lambda v: getattr(v, "__name__", ""))
def test_the_emitted_strings_are_unchanged(enum, values):
    assert [member.value for member in enum] == values
    assert all(enum(value) == value and str(enum(value)) == value for value in values)


def test_members_compare_and_hash_as_their_strings():
    assert OutboxStatus.SENT == "sent"
    assert {"sent": 1}[OutboxStatus.SENT] == 1 and {OutboxStatus.DEAD: 2}["dead"] == 2
    assert f"{CaseAction.DEADLINE_WARNING}:sign" == "deadline_warning:sign"


@pytest.mark.parametrize("column, length", COLUMNS, ids=lambda c: str(c))
def test_each_column_keeps_its_varchar_length(column, length):
    assert isinstance(column.type, String)
    assert column.type.length == length


def _stored(table: str, column: str, row_id) -> str:
    key = "day" if table == "calendar_day" else "id"
    return db.session.execute(text(f"SELECT {column} FROM {table} WHERE {key} = :id"),
                              {"id": row_id}).scalar_one()


def _reload(model, key):
    db.session.expire_all()
    return db.session.get(model, key)


@pytest.mark.parametrize("status", list(InboundStatus))
def test_an_inbound_message_status_round_trips(app, status):
    message = InboundMessage(channel="sms", external_id=f"vocab-{status}", content_type="x",
                             payload=b"", status=status)
    db.session.add(message)
    db.session.flush()
    assert _stored("inbound_message", "status", message.id) == status.value
    assert _reload(InboundMessage, message.id).status is status


def test_an_inbound_message_starts_received(app):
    message = InboundMessage(channel="sms", external_id="vocab-default", content_type="x",
                             payload=b"")
    db.session.add(message)
    db.session.flush()
    assert _reload(InboundMessage, message.id).status is InboundStatus.RECEIVED


@pytest.mark.parametrize("status", list(ConversationStatus))
def test_a_conversation_and_its_lines_round_trip(app, status):
    conversation = Conversation(public_id=f"vocab{status}", token_hash="0" * 64, status=status)
    db.session.add(conversation)
    db.session.flush()
    lines = [ChatMessage(conversation_id=conversation.id, author=author, body=author.value)
             for author in ChatAuthor]
    db.session.add_all(lines)
    db.session.flush()
    assert _stored("conversation", "status", conversation.id) == status.value
    assert _reload(Conversation, conversation.id).status is status
    authors = db.session.scalars(select(ChatMessage.author).where(
        ChatMessage.conversation_id == conversation.id).order_by(ChatMessage.id)).all()
    assert authors == list(ChatAuthor)
    assert [_stored("chat_message", "author", line.id) for line in lines] == [
        "citizen", "agent", "system"]


@pytest.mark.parametrize("status", list(OutboxStatus))
def test_an_outbox_status_round_trips(app, status):
    message = OutboxMessage(channel="sms", recipient="13800001111", body="x",
                            idempotency_key=f"vocab:{status}", status=status)
    db.session.add(message)
    db.session.flush()
    assert _stored("outbox_message", "status", message.id) == status.value
    assert _reload(OutboxMessage, message.id).status is status


@pytest.mark.parametrize("status", list(ModelStatus))
def test_a_model_status_and_source_round_trip(app, status):
    record = ClassifierModel(version=f"v-{status}", source=ModelSource.CSV, status=status)
    db.session.add(record)
    db.session.flush()
    assert _stored("classifier_model", "status", record.id) == status.value
    reloaded = _reload(ClassifierModel, record.id)
    assert reloaded.status is status and reloaded.source is ModelSource.CSV


def test_a_calendar_day_and_a_policy_round_trip(app):
    db.session.add(CalendarDay(day=date(2031, 1, 1), kind=DayKind.HOLIDAY, name="元旦",
                               source=DaySource.ADMIN))
    db.session.add(SlaPolicy(name="vocab", accept="1d", handle="2d",
                             calendar=CalendarKind.NATURAL))
    db.session.flush()
    assert _stored("calendar_day", "kind", date(2031, 1, 1)) == "holiday"
    day = _reload(CalendarDay, date(2031, 1, 1))
    assert day.kind is DayKind.HOLIDAY and day.source is DaySource.ADMIN
    policy = db.session.scalars(select(SlaPolicy).where(SlaPolicy.name == "vocab")).one()
    assert policy.calendar is CalendarKind.NATURAL


def test_case_events_and_corrections_round_trip(world):
    case = register_case(AGENT, NewCase(content="路灯不亮", department="URBAN"))
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                .order_by(CaseEvent.id)).all()
    assert [e.action for e in events] == [CaseAction.REGISTER, CaseAction.DISPATCH]
    assert all(isinstance(e.action, CaseAction) for e in events)
    assert _stored("case_event", "action", events[1].id) == "dispatch"
    with unit_of_work():
        cases.perform(Actor.system(), case.number, "dispatch", {"department": "HOUSING"})
    correction = db.session.scalars(select(RoutingCorrection).where(
        RoutingCorrection.case_id == case.id)).one()
    assert correction.source is CorrectionSource.REDISPATCH
    assert _stored("routing_correction", "source", correction.id) == "redispatch"


def test_an_unknown_value_is_refused_before_the_table(app):
    db.session.add(OutboxMessage(channel="sms", recipient="1", body="x",
                                 idempotency_key="vocab:bogus", status="bogus"))
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_actions_the_rules_know_are_members():
    assert set(cases.RULES) <= set(CaseAction)
    assert all(isinstance(action, CaseAction) for action in cases.RULES)
    assert set(cases.HANDLERS) == set(cases.RULES)
