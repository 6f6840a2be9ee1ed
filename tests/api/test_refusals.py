"""Every refused action changes nothing and says why, with the right status."""

from __future__ import annotations

import pytest

from hotline.extensions import db
from hotline.models import Case, CaseEvent


def snapshot(number: str) -> tuple:
    db.session.expire_all()
    case = db.session.query(Case).filter_by(number=number).one()
    events = db.session.query(CaseEvent).filter_by(case_id=case.id).count()
    return case.status, case.version, case.department_id, events


@pytest.mark.parametrize(("username", "action", "body", "status"), [
    ("agent", "accept", {}, 403),                     # not a department
    ("urban", "reply", {"content": "x"}, 409),        # not accepted yet
    ("agent", "close", {}, 409),                      # not replied
    ("agent", "resolve", {"content": "x"}, 409),      # already dispatched
    ("supervisor", "reopen", {"reason": "x"}, 409),   # still open
    ("urban", "dispatch", {"department": "HOUSING"}, 403),
    ("housing", "accept", {}, 404),                   # not its case
    ("agent", "fly", {}, 404),                        # no such action
    ("supervisor", "approve-extension", {}, 409),     # nothing pending
])
def test_refused_actions_change_nothing(api, username, action, body, status):
    number = api.create_case(department="URBAN")["number"]
    before = snapshot(number)
    response = api(username).act(number, action, **body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    assert snapshot(number) == before


def test_stale_version_is_a_conflict(api):
    case = api.create_case(department="URBAN")
    api("urban").act(case["number"], "accept")
    response = api("urban").act(case["number"], "reply", content="x", version=case["version"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "stale_version"


def test_current_version_is_accepted(api):
    case = api.create_case(department="URBAN")
    response = api("urban").act(case["number"], "accept", version=case["version"])
    assert response.status_code == 200
    assert response.get_json()["version"] == case["version"] + 1


def test_unknown_case_is_404(api):
    assert api("agent").get("/api/v1/cases/20260101999999").status_code == 404
    assert api("agent").act("20260101999999", "accept").status_code == 404
