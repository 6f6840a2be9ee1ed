"""One registration is one transaction on every path, and it keeps the routing correction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from hotline.extensions import db
from hotline.models import Case, Role, RoutingCorrection
from hotline.services import cases, registration, signals, suggestions
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

AGENT = Actor(label="话务员甲", role=Role.AGENT)
VENDING = "锦江区书院街路口每天早上都有人占道摆摊卖菜，车都开不过去"


@contextmanager
def counted_commits() -> Iterator[list[int]]:
    """Count the commits of the app's session while the block runs."""
    commits: list[int] = []
    session = db.session()

    def count(_session) -> None:
        commits.append(1)

    event.listen(session, "after_commit", count)
    try:
        yield commits
    finally:
        event.remove(session, "after_commit", count)


def corrections() -> list[RoutingCorrection]:
    return list(db.session.scalars(select(RoutingCorrection).order_by(RoutingCorrection.id)))


def test_the_api_records_the_correction_when_the_choice_differs(api):
    body = api.create_case(category="property_mgmt", department="HOUSING",
                           suggested_category="street_vending", suggested_department="JINJIANG")
    [correction] = corrections()
    assert correction.case_id == db.session.scalar(
        select(Case.id).where(Case.number == body["number"]))
    assert (correction.suggested_category, correction.chosen_category) == (
        "street_vending", "property_mgmt")
    assert (correction.suggested_department, correction.chosen_department) == (
        "JINJIANG", "HOUSING")
    assert correction.source == "intake"


def test_the_api_records_nothing_when_the_suggestion_was_taken(api):
    api.create_case(category="street_vending", department="URBAN",
                    suggested_category="street_vending", suggested_department="URBAN")
    api.create_case()  # no suggestion shown: nothing to compare
    assert corrections() == []


def test_the_api_refuses_an_overlong_suggested_code(api):
    response = api("agent").post("/api/v1/cases", json={
        "content": "路灯坏了", "suggested_category": "x" * 41})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "suggested_category"
    assert db.session.scalar(select(Case.id)) is None


def test_the_console_registration_is_one_commit(world, client, auth):
    auth.login("agent")
    with counted_commits() as commits:
        response = client.post("/agent/cases", data={
            "phone": "13800001111", "content": VENDING, "type": "complaint",
            "urgency": "normal", "category": "property_mgmt", "department": "HOUSING",
            "dispatch": "1", "suggested_category": "street_vending",
            "suggested_department": "JINJIANG"})
    assert response.status_code == 303
    assert len(commits) == 1
    [correction] = corrections()
    assert correction.chosen_department == "HOUSING"


def test_a_refused_registration_writes_no_correction(world, client, auth):
    auth.login("agent")
    response = client.post("/agent/cases", data={
        "content": VENDING, "department": "NOPE", "dispatch": "1",
        "suggested_category": "street_vending"})
    assert response.status_code == 422
    assert corrections() == []
    assert db.session.scalar(select(Case.id)) is None


def test_the_scheduler_hears_of_a_registration_only_after_its_commit(world):
    heard: list[tuple[int, str]] = []

    def receiver(case_id, action=None):
        heard.append((case_id, action))

    signals.case_changed.connect(receiver)
    try:
        with unit_of_work():
            case = registration.register_case(AGENT, registration.NewCase(content="路灯坏了"))
            cases.perform(AGENT, case.number, "dispatch", {"department": "URBAN"})
            assert heard == []
        assert heard == [(case.id, "register")]  # once per case and transaction
        with pytest.raises(cases.Conflict), unit_of_work():
            cases.perform(AGENT, case.number, "resolve", {"content": "已答复"})
        assert heard == [(case.id, "register")]  # a rollback tells nobody
    finally:
        signals.case_changed.disconnect(receiver)


def test_a_failed_auto_dispatch_leaves_the_registered_case(world, monkeypatch):
    def broken(case, actor, params, now):
        case.status = cases.S.DISPATCHED  # half done, then it fails
        raise RuntimeError("routing down")

    monkeypatch.setitem(cases.HANDLERS, "dispatch", broken)
    monkeypatch.setattr(suggestions, "suggest", lambda *a, **k: suggestions.Suggestion(
        category="street_vending", department="URBAN", confident=True))
    with unit_of_work():
        case = registration.register_case(Actor.system("市长信箱"),
                                   registration.NewCase(content=VENDING, channel="mailbox"))
        with pytest.raises(RuntimeError):
            suggestions.auto_dispatch(case)
    stored = db.session.scalars(select(Case)).one()
    assert stored.number == case.number
    assert stored.status == cases.S.REGISTERED
