"""A department's return: it lands on the workbench, and is offered only inside its window."""

from __future__ import annotations

from datetime import timedelta

from hotline.extensions import db
from hotline.models import User, utcnow
from hotline.services import registration
from hotline.services.actors import Actor


def _agent() -> Actor:
    return Actor.from_user(db.session.query(User).filter_by(username="agent").one())


def _dispatched(days_ago: int = 0):
    case = registration.register_case(
        _agent(), registration.NewCase(content="井盖松动，夜里有人绊倒", department="URBAN"),
        now=utcnow() - timedelta(days=days_ago))
    db.session.commit()  # a refused request rolls back to here, not before the case
    return case


def test_a_return_lands_on_the_workbench_with_the_message(client, auth, world):
    case = _dispatched()
    auth.login("urban")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-action="return"' in page
    assert "派单后 2 个工作日 内" in page and "2d" not in page
    response = client.post(f"/cases/{case.number}/return", data={"reason": "非本单位职责"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/workbench"
    html = response.get_data(as_text=True)
    assert f"已退单工单 {case.number}" in html and "不存在" not in html


def test_no_return_form_after_the_window_and_the_refusal_in_words(client, auth, api, world):
    case = _dispatched(days_ago=10)
    auth.login("urban")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'data-action="return"' not in page and 'data-action="accept"' in page
    refused = api("urban").act(case.number, "return", reason="太晚了")
    assert refused.status_code == 409
    body = refused.get_json()
    text = str(body)
    assert "2 个工作日" in text and "2d" not in text


def test_the_refused_return_says_the_window_in_english(client, world):
    case = _dispatched(days_ago=10)
    english = client.post(f"/api/v1/cases/{case.number}/return", json={"reason": "late"},
                          headers={"Authorization": f"Bearer {world.tokens['urban']}",
                                   "Accept-Language": "en"})
    assert "2 working days" in str(english.get_json())
