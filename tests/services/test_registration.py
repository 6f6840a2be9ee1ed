"""Registration answers from what it wrote, and its numbers survive failures and races."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.exc import StaleDataError

from hotline.extensions import db
from hotline.models import Case, CaseEvent, Role
from hotline.services import cases, deadlines, registration
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

AGENT = Actor(label="话务员甲", role=Role.AGENT)


def new_case(**fields) -> registration.NewCase:
    return registration.NewCase(content=fields.pop("content", "小区门口路灯坏了一个月"), **fields)


def test_the_201_answer_shows_the_same_case_as_a_later_read(api):
    created = api.create_case(department="URBAN")
    read = api("agent").get(f"/api/v1/cases/{created['number']}").get_json()
    assert created == read


def test_an_action_after_registration_in_the_same_session_shows_in_the_timeline(world):
    case = registration.register_case(AGENT, new_case())
    assert [e.action for e in cases.timeline(case, public_only=False)] == ["register"]
    cases.perform(AGENT, case.number, "dispatch", {"department": "URBAN"})
    assert [e.action for e in cases.timeline(case, public_only=False)] == [
        "register", "dispatch"]


def test_a_refused_action_after_registration_leaves_the_timeline_as_stored(world):
    case = registration.register_case(AGENT, new_case())
    with pytest.raises(cases.InvalidInput):
        cases.perform(AGENT, case.number, "dispatch", {"department": ""})
    stored = db.session.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id))
    assert [e.action for e in cases.timeline(case, public_only=False)] == list(stored)


@pytest.mark.committing  # another connection writes the row
def test_an_action_decides_on_the_row_as_it_is_now(world):
    """A case kept loaded after its registration is read again before an action: here a
    change that left the version alone would otherwise go unseen."""
    with unit_of_work(keep_loaded=True):
        case = registration.register_case(AGENT, new_case())
    with db.engine.begin() as elsewhere:  # another process, not this session
        elsewhere.execute(Case.__table__.update().where(Case.id == case.id)
                          .values(status="closed"))
    with pytest.raises(cases.Conflict) as refused:
        cases.perform(AGENT, case.number, "resolve", {"content": "已答复"})
    assert refused.value.params["status"] == "closed"


def test_a_failure_before_the_number_is_taken_uses_no_number(world, monkeypatch):
    with unit_of_work():
        first = registration.register_case(AGENT, new_case())

    def broken(case, now):
        raise RuntimeError("deadline service down")

    monkeypatch.setattr(deadlines, "on_dispatch", broken)
    with pytest.raises(RuntimeError), unit_of_work():
        registration.register_case(AGENT, new_case(department="URBAN"))
    monkeypatch.undo()
    with unit_of_work():
        second = registration.register_case(AGENT, new_case())
    assert int(second.number) == int(first.number) + 1
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def _columns(case: Case) -> dict:
    return {c.key: getattr(case, c.key) for c in Case.__table__.columns}


def test_the_rows_written_directly_are_the_rows_the_orm_would_write(world):
    """Registration writes its citizen, case and events with Core: the objects it hands on
    are persistent and loaded, and hold what the database holds."""
    case = registration.register_case(AGENT, new_case(
        department="URBAN", citizen_name="陈先生", citizen_phone="13800001111",
        address="锦江区书院街"))
    state = sa_inspect(case)
    assert state.persistent and not state.unloaded - {"events", "category", "created_by",
                                                      "via_department", "merged_into",
                                                      "mailbox"}
    held = _columns(case)
    db.session.expire_all()
    stored = db.session.get(Case, case.id)
    assert _columns(stored) == held
    assert stored.citizen.phone == "13800001111"
    assert [(e.action, e.to_status) for e in db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))] == [
        ("register", "registered"), ("dispatch", "dispatched")]


def test_a_case_written_directly_then_changed_keeps_its_version_check(world):
    case = registration.register_case(AGENT, new_case(department="URBAN"))
    assert case.version == 1
    db.session.flush()
    db.session.execute(Case.__table__.update().where(Case.id == case.id).values(version=2))
    case.title = "改了标题"
    with pytest.raises(StaleDataError):
        db.session.flush()


def test_a_rolled_back_savepoint_takes_the_directly_written_case_out(world):
    savepoint = db.session.begin_nested()
    case = registration.register_case(AGENT, new_case(department="URBAN"))
    assert case in db.session
    savepoint.rollback()
    assert case not in db.session and sa_inspect(case).transient
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_assisting_departments_are_written_too(world):
    """A shape the direct writer leaves to the ORM (a second table) is written as before."""
    case = registration.register_case(AGENT, new_case(department="URBAN", assist=["HOUSING"]))
    db.session.expire_all()
    assert [d.code for d in db.session.get(Case, case.id).assisting] == ["HOUSING"]
