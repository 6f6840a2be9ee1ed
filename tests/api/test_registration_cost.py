"""What one registration sends to the database, and the per-process caches it leans on: the
admins' notice settings and the webhook subscriptions are read once per process and again
after any change, in this process or another, the very next request."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from hotline.extensions import db
from hotline.models import NoticeKind, NoticeSetting, OutboxMessage, WebhookSubscription
from hotline.services import citizen_notices
from hotline.unit_of_work import unit_of_work

BODY = {"channel": "phone", "title": "占道经营", "content": "书院街路口每天早上占道卖菜",
        "citizen": {"name": "陈先生", "phone": "13800001111"}, "address": "锦江区书院街",
        "department": "URBAN"}


def _create(client, world) -> dict:
    response = client.post("/api/v1/cases", json=BODY,
                           headers={"Authorization": f"Bearer {world.tokens['agent']}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _create_seeing_sql(client, world, app) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        _create(client, world)
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return seen


def created_day() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")


def _messages(number: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "sms", OutboxMessage.data["number"].as_string() == number)))


def test_a_warm_registration_writes_its_rows_and_reads_only_the_counters(client, world, app):
    _create(client, world)  # warms the token, settings and subscription caches
    seen = _create_seeing_sql(client, world, app)
    reads = [s for s in seen if s.startswith("SELECT")]
    expected_reads = ["SELECT name, value FROM cache_generation"]
    if db.engine.dialect.name == "postgresql":  # the number, from the day's sequence
        expected_reads.append(f"SELECT nextval('\"case_number_{created_day()}\"')")
    assert reads == expected_reads
    assert not [s for s in seen if s.startswith(("UPDATE", "DELETE"))]  # written once
    written = {s.split(" (")[0] for s in seen if s.startswith("INSERT")}
    expected = {'INSERT INTO "case"', "INSERT INTO case_event", "INSERT INTO citizen",
                "INSERT INTO outbox_message"}
    if db.engine.dialect.name == "sqlite":  # the day's counter row in the transaction
        expected.add("INSERT INTO case_number_counter")
    assert written == expected, seen


def test_registered_and_dispatched_at_once_is_one_message_written_once(client, world):
    created = _create(client, world)
    [message] = _messages(created["number"])
    assert message.data["kind"] == NoticeKind.DISPATCHED_AT_ONCE.value
    assert "城市管理" in message.body and created["number"] in message.body


def test_an_admins_new_text_holds_on_the_next_registration(client, world):
    _create(client, world)
    with unit_of_work():
        citizen_notices.update_setting("dispatched_at_once", sms=True, wechat=True,
                                       email=True, text_zh="已转{department}：{number}",
                                       text_en="to {department}: {number}")
    created = _create(client, world)
    assert _messages(created["number"])[0].body.startswith("已转")


def test_a_kind_switched_off_in_a_transaction_that_rolls_back_stays_on(client, world):
    """Settings read inside the transaction that changed them are its own: they must not
    reach the cache other requests use."""
    _create(client, world)
    with pytest.raises(RuntimeError), unit_of_work():
        citizen_notices.update_setting("dispatched_at_once", sms=False, wechat=True,
                                       email=True, text_zh="x{number}", text_en="x{number}")
        db.session.flush()
        assert not citizen_notices.setting_for(NoticeKind.DISPATCHED_AT_ONCE).sms
        raise RuntimeError("the admin's save failed")
    with unit_of_work():  # another change brings the counter to the value rolled back
        db.session.add(NoticeSetting(kind=NoticeKind.CLOSED, sms=True, wechat=True,
                                     email=True, text_zh="办结{number}",
                                     text_en="closed {number}"))
    created = _create(client, world)
    assert _messages(created["number"])[0].data["kind"] == "dispatched_at_once"


@pytest.mark.committing
def test_a_setting_saved_by_another_process_holds_at_once(client, world, app):
    _create(client, world)
    with app.app_context(), Session(db.engine) as other:
        zh, en = citizen_notices.DEFAULT_TEXTS[NoticeKind.DISPATCHED_AT_ONCE]
        other.add(NoticeSetting(kind=NoticeKind.DISPATCHED_AT_ONCE, sms=False, wechat=True,
                                email=True, text_zh=zh, text_en=en))
        other.commit()
    created = _create(client, world)
    # the combined kind is off for SMS: the citizen gets the plain registration message
    assert [m.data["kind"] for m in _messages(created["number"])] == ["registered"]


@pytest.mark.committing
def test_a_subscription_made_by_another_process_receives_the_next_event(client, world, app):
    _create(client, world)  # the (empty) subscription list is now cached
    with app.app_context(), Session(db.engine) as other:
        other.add(WebhookSubscription(url="https://example.org/hook", events=[
            "case.dispatched"], salt="s" * 16))
        other.commit()
    created = _create(client, world)
    pushes = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.channel == "webhook")))
    assert [p.recipient for p in pushes] == ["https://example.org/hook"]
    assert created["number"] in pushes[0].body
