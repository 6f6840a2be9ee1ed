"""Case numbers: the local day and a per-day sequence, unique and rising on both databases;
on PostgreSQL a sequence per day, which starts after every number the day already has."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from hotline.extensions import db
from hotline.models import CaseNumberCounter, User
from hotline.services import numbering, registration
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

TZ = "Asia/Shanghai"


def _numbers(count: int, now: datetime) -> list[str]:
    return [numbering.next_case_number(db.session(), now, TZ) for _ in range(count)]


def test_numbers_carry_the_local_day_and_rise(app):
    # 20:00 UTC on 1 December is already 2 December in Shanghai
    numbers = _numbers(3, datetime(2031, 12, 1, 20, 0, tzinfo=UTC))
    assert [n[:8] for n in numbers] == ["20311202"] * 3
    assert all(len(n) == 14 and n.isdigit() for n in numbers)
    suffixes = [int(n[8:]) for n in numbers]
    assert suffixes == sorted(set(suffixes)) and suffixes[1:] == [s + 1 for s in suffixes[:-1]]


def _postgresql_only() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("per-day sequences are PostgreSQL's; SQLite counts in the transaction")


def _unused_day() -> tuple[str, datetime]:
    """A day no other test (or earlier run) has numbered cases in."""
    year = random.randrange(2200, 9000)
    return f"{year}0615", datetime(year, 6, 15, 4, 0, tzinfo=UTC)


def _drop(day: str) -> None:
    with db.engine.connect() as conn:
        conn.execute(text(f'DROP SEQUENCE IF EXISTS "{numbering.SEQUENCE_PREFIX}{day}"'))
        conn.execute(text("DELETE FROM case_number_counter WHERE day = :d"), {"d": day})
        conn.commit()
    numbering.forget_sequences()


@pytest.mark.committing
def test_a_days_sequence_starts_after_the_counter_of_the_numbering_before(app):
    _postgresql_only()
    day, now = _unused_day()
    try:
        with unit_of_work() as session:  # the counter row the upsert numbering left
            session.add(CaseNumberCounter(day=day, last=41))
        numbering.forget_sequences()
        with unit_of_work():
            assert _numbers(2, now) == [f"{day}000042", f"{day}000043"]
    finally:
        _drop(day)


@pytest.mark.committing
def test_a_days_sequence_made_again_starts_after_the_days_cases(app, world):
    """A sequence lost (a restored database, an old day numbered again) never hands out a
    number a case of the day already has."""
    _postgresql_only()
    day, now = _unused_day()
    try:
        with unit_of_work():
            agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
            first = registration.register_case(
                agent, registration.NewCase(content="路灯不亮"), now=now).number
        with db.engine.connect() as conn:
            conn.execute(text(f'DROP SEQUENCE "{numbering.SEQUENCE_PREFIX}{day}"'))
            conn.commit()
        numbering.forget_sequences()
        with unit_of_work():
            [again] = _numbers(1, now)
        assert again[:8] == first[:8] == day and int(again[8:]) == int(first[8:]) + 1
    finally:
        with db.engine.connect() as conn:
            conn.execute(text('DELETE FROM case_event WHERE case_id IN '
                              '(SELECT id FROM "case" WHERE number LIKE :p)'), {"p": day + "%"})
            conn.execute(text('DELETE FROM outbox_message WHERE case_id IN '
                              '(SELECT id FROM "case" WHERE number LIKE :p)'), {"p": day + "%"})
            conn.execute(text('DELETE FROM "case" WHERE number LIKE :p'), {"p": day + "%"})
            conn.commit()
        _drop(day)


def test_a_rolled_back_registration_leaves_a_gap_never_a_repeat(app):
    _postgresql_only()
    now = datetime(2031, 3, 3, 3, 0, tzinfo=UTC)
    session = db.session()
    with session.begin_nested() as savepoint:
        [lost] = _numbers(1, now)
        savepoint.rollback()
    [kept] = _numbers(1, now)
    assert int(kept[8:]) == int(lost[8:]) + 1


def test_a_day_that_is_not_a_day_is_refused(app):
    with pytest.raises(ValueError):
        numbering.day_sequence(db.engine, "2026'; DROP TABLE x; --")


def test_the_nightly_tidy_drops_past_days_sequences_only(app):
    _postgresql_only()
    now = datetime(2031, 7, 20, 4, 0, tzinfo=UTC)  # noon in Shanghai
    for days_ago in (0, 6, 7, 30):
        _numbers(1, now - timedelta(days=days_ago))
    dropped = numbering.drop_old_sequences(db.session(), now, TZ)
    assert f"{numbering.SEQUENCE_PREFIX}20310713" in dropped  # 7 days before
    assert f"{numbering.SEQUENCE_PREFIX}20310620" in dropped
    assert not {f"{numbering.SEQUENCE_PREFIX}20310720",
                f"{numbering.SEQUENCE_PREFIX}20310714"} & set(dropped)
    gone = db.session.execute(text("SELECT to_regclass(:n)"),
                              {"n": f"{numbering.SEQUENCE_PREFIX}20310620"}).scalar()
    kept = db.session.execute(text("SELECT to_regclass(:n)"),
                              {"n": f"{numbering.SEQUENCE_PREFIX}20310714"}).scalar()
    assert gone is None and kept is not None


def test_the_tidy_is_scheduled_nightly(app):
    from workflows import schedule

    entry = schedule.entry("numbering-tidy")
    assert entry.job == "workflows.jobs.tidy_numbering" and entry.at == "STATS_REFRESH_AT"


@pytest.mark.committing
def test_a_past_days_sequence_dropped_by_another_process_is_made_again(app):
    """The nightly tidy runs in a worker: a process that numbered a case of a past day
    (an import, a test) must not trust its memory that the day's sequence exists."""
    _postgresql_only()
    year = random.randrange(1990, 2020)
    day, now = f"{year}0315", datetime(year, 3, 15, 4, 0, tzinfo=UTC)
    try:
        with unit_of_work():
            [first] = _numbers(1, now)
        with db.engine.connect() as conn:  # the worker's tidy, committed elsewhere
            conn.execute(text(f'DROP SEQUENCE "{numbering.SEQUENCE_PREFIX}{day}"'))
            conn.commit()
        with unit_of_work():
            [again] = _numbers(1, now)
        # made again after the day's cases (none here): numbering goes on, no error
        assert first.startswith(day) and again.startswith(day)
    finally:
        _drop(day)
