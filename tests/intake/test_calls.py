"""The phone system's hook: a call announced by the CTI pops up on the named agent's console,
and the call id and recording reference end up on the case the agent registers."""

from __future__ import annotations

import time

import pytest

from hotline.services import calls
from tests.intake.conftest import all_cases

CALL = {"call_id": "call-778812", "caller": "13800001111", "agent": "agent",
        "recording": "rec/2026/11/24/778812.wav"}


def test_cti_call_pops_up_on_the_agents_console_once(client, auth, api):
    response = api("agent").post("/api/v1/calls", json=CALL)
    assert response.status_code == 202
    assert response.get_json() == {"call_id": "call-778812", "agent": "agent", "queued": True}
    auth.login("agent")
    popped = client.get("/agent/calls/next").get_json()["call"]
    assert popped == {"call_id": "call-778812", "caller": "13800001111",
                      "recording": "rec/2026/11/24/778812.wav", "masked": "138****1111"}
    assert client.get("/agent/calls/next").get_json() == {"call": None}


def test_the_call_goes_only_to_the_named_agent(client, auth, api):
    api("admin").post("/api/v1/calls", json={**CALL, "agent": "supervisor"})
    auth.login("agent")
    assert client.get("/agent/calls/next").get_json() == {"call": None}
    auth.logout()
    auth.login("supervisor")
    assert client.get("/agent/calls/next").get_json()["call"]["call_id"] == "call-778812"


def test_a_call_nobody_took_for_minutes_is_not_popped(app, world, api):
    api("agent").post("/api/v1/calls", json=CALL)
    from hotline.extensions import db
    from hotline.models import User

    user = db.session.query(User).filter_by(username="agent").one()
    later = time.time() + calls.POP_MAX_AGE + 1
    assert calls.next_call(user.id, now=later) is None


def test_console_page_polls_for_calls(client, auth, world):
    auth.login("agent")
    html = client.get("/agent").get_data(as_text=True)
    assert 'data-calls-url="/agent/calls/next"' in html
    assert 'name="recording_ref"' in html and 'id="call-banner"' in html


def test_registered_case_keeps_call_id_and_recording(client, auth, world):
    auth.login("agent")
    client.post("/agent/cases", data={
        "phone": "13800001111", "content": "来电反映书院街路灯不亮", "type": "help",
        "urgency": "normal", "call_id": "call-778812",
        "recording_ref": "rec/2026/11/24/778812.wav"})
    [case] = all_cases()
    assert case.external_ref == "call-778812"
    assert case.recording_ref == "rec/2026/11/24/778812.wav"


@pytest.mark.parametrize(("body", "status", "field"), [
    ({**CALL, "agent": "nobody"}, 422, "agent"),
    ({**CALL, "agent": "urban"}, 422, "agent"),  # department staff have no console
    ({**CALL, "caller": "not a number"}, 422, "caller"),
    ({k: v for k, v in CALL.items() if k != "call_id"}, 422, "call_id"),
    ({**CALL, "extra": 1}, 422, "extra"),
])
def test_bad_call_announcements_are_refused(api, body, status, field):
    response = api("agent").post("/api/v1/calls", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["field"] == field


def test_call_announcements_need_a_call_centre_token(client, api):
    assert client.post("/api/v1/calls", json=CALL).status_code == 401
    assert api("urban").post("/api/v1/calls", json=CALL).status_code == 403


def test_poll_is_for_console_users_only(client, auth, world):
    assert client.get("/agent/calls/next").status_code == 302
    auth.login("urban")
    assert client.get("/agent/calls/next").status_code == 403
