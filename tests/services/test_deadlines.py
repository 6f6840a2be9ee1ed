"""Deadlines set by actions, on a controlled clock, across weekends, holidays and 调休."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.errors import Conflict
from hotline.extensions import db
from hotline.models import Case
from hotline.services import cases, registration, sla
from hotline.services.actors import Actor

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """A Shanghai wall-clock time like '2026-11-20 17:00' as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def shown(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def agent(world):
    from hotline.models import User

    return Actor.from_user(db.session.query(User).filter_by(username="agent").one())


@pytest.fixture
def urban(world):
    from hotline.models import User

    return Actor.from_user(db.session.query(User).filter_by(username="urban").one())


def dispatched_at(agent, when: str, **fields) -> Case:
    new = registration.NewCase(content="占道经营", department="URBAN", **fields)
    return registration.register_case(agent, new, now=local(when))


@pytest.mark.parametrize(("dispatched", "kind", "sign", "handle"), [
    # Friday 17:00: one working day of office time (9 h) ends Monday 17:00
    ("2026-11-20 17:00", "complaint", "2026-11-23 17:00", "2026-11-27 17:00"),
    # consultation: 3 working days
    ("2026-11-24 10:00", "consultation", "2026-11-25 10:00", "2026-11-27 10:00"),
    # suggestion: 10 working days
    ("2026-11-24 10:00", "suggestion", "2026-11-25 10:00", "2026-12-08 10:00"),
    # after office hours: the clock starts at the next opening
    ("2026-11-24 20:30", "complaint", "2026-11-25 18:00", "2026-12-01 18:00"),
    # before National Day 2026 (Oct 1-7 off, Sat Oct 10 a make-up working day)
    ("2026-09-30 15:00", "consultation", "2026-10-08 15:00", "2026-10-10 15:00"),
    # Spring Festival 2026 (Feb 15-23 off; Sat Feb 14 and Sat Feb 28 are working days)
    ("2026-02-13 10:00", "complaint", "2026-02-14 10:00", "2026-02-27 10:00"),
    # crossing New Year into 2027, a year with no official data: weekends only, no failure
    ("2026-12-30 10:00", "complaint", "2026-12-31 10:00", "2027-01-06 10:00"),
])
def test_deadlines_on_dispatch(agent, dispatched, kind, sign, handle):
    case = dispatched_at(agent, dispatched, request_type=kind)
    assert shown(case.sign_deadline) == sign
    assert shown(case.handle_deadline) == handle
    assert case.sign_warn_at < case.sign_deadline
    assert case.handle_warn_at < case.handle_deadline


def test_urgent_cases_run_on_natural_time(agent):
    case = dispatched_at(agent, "2026-11-21 23:00", urgency="urgent")  # a Saturday night
    assert shown(case.sign_deadline) == "2026-11-21 23:30"
    assert shown(case.handle_deadline) == "2026-11-22 23:00"
    assert shown(case.sign_warn_at) == "2026-11-21 23:22"  # 75% of 30 minutes


def test_warning_point_is_75_percent_of_working_time(agent):
    case = dispatched_at(agent, "2026-11-24 09:00", request_type="complaint")
    # 5 working days = 45 office hours; 75% = 33h45m of office time = 3 days + 6h45m
    assert shown(case.handle_warn_at) == "2026-11-27 15:45"


def test_approved_extension_moves_the_deadline_by_working_days(agent, urban, world):
    case = dispatched_at(agent, "2026-11-24 10:00", request_type="complaint")
    cases.perform(urban, case.number, "accept", now=local("2026-11-24 11:00"))
    cases.perform(urban, case.number, "extend", {"days": 3, "reason": "需协调"},
                  now=local("2026-11-25 11:00"))
    supervisor = Actor(label="s", role=cases.Role.SUPERVISOR, user_id=None)
    cases.perform(supervisor, case.number, "approve_extension", now=local("2026-11-25 12:00"))
    assert shown(case.handle_deadline) == "2026-12-04 10:00"  # Dec 1 + 3 working days


def test_return_stops_the_clocks_and_redispatch_starts_them_again(agent, urban):
    case = dispatched_at(agent, "2026-11-24 10:00")
    cases.perform(urban, case.number, "return", {"reason": "非本单位职责"},
                  now=local("2026-11-24 15:00"))
    assert case.sign_deadline is None and case.handle_deadline is None
    cases.perform(agent, case.number, "dispatch", {"department": "HOUSING"},
                  now=local("2026-11-26 09:00"))
    assert shown(case.sign_deadline) == "2026-11-26 18:00"


def test_return_is_refused_after_the_return_window(agent, urban):
    case = dispatched_at(agent, "2026-11-20 10:00")  # Friday
    with pytest.raises(Conflict):
        cases.perform(urban, case.number, "return", {"reason": "太晚了"},
                      now=local("2026-11-24 10:01"))  # 2 working days = Tue 10:00
    cases.perform(urban, case.number, "return", {"reason": "还来得及"},
                  now=local("2026-11-24 09:59"))


def test_admin_calendar_for_2027_is_used_once_imported(agent):
    sla.import_calendar("2027-01-01,休,元旦\n2027-01-04,休,元旦调休\n")
    case = dispatched_at(agent, "2026-12-31 10:00", request_type="consultation")
    # Jan 1 (Fri) and Jan 4 (Mon) off: Dec 31 -> Jan 5 -> Jan 6 -> Jan 7
    assert shown(case.handle_deadline) == "2027-01-07 10:00"
