"""Two people acting on one case at the same moment never both succeed."""

from __future__ import annotations

import threading

import pytest

from hotline.extensions import db
from hotline.models import Case, CaseEvent

pytestmark = pytest.mark.committing  # requests in threads, each with its own session


def race(app, world, calls) -> list[int]:
    """Fire the calls at once from separate threads; return their status codes."""
    barrier = threading.Barrier(len(calls))
    results: list[int] = [0] * len(calls)

    def run(index: int, username: str, url: str, body: dict) -> None:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {world.tokens[username]}"}
        barrier.wait()
        results[index] = client.post(url, json=body, headers=headers).status_code

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("round_no", range(5))
def test_two_staff_accepting_at_once_one_wins(app, api, world, round_no):
    number = api.create_case(department="URBAN")["number"]
    url = f"/api/v1/cases/{number}/accept"
    results = race(app, world, [("urban", url, {}), ("urban2", url, {})])
    assert sorted(results) == [200, 409]
    db.session.expire_all()
    case = db.session.query(Case).filter_by(number=number).one()
    accepts = db.session.query(CaseEvent).filter_by(case_id=case.id, action="accept").count()
    assert accepts == 1


def test_reply_and_return_at_once_only_one_lands(app, api, world):
    number = api.create_case(department="URBAN")["number"]
    api("urban").act(number, "accept")
    results = race(app, world, [
        ("urban", f"/api/v1/cases/{number}/reply", {"content": "已处理"}),
        ("urban2", f"/api/v1/cases/{number}/return", {"reason": "不归我们"}),
    ])
    db.session.expire_all()
    case = db.session.query(Case).filter_by(number=number).one()
    actions = [e.action for e in db.session.query(CaseEvent).filter_by(case_id=case.id)]
    assert len({"reply", "return"} & set(actions)) == 1
    # The loser is refused: 409, or 404 when a return that landed first has already taken
    # the case out of the department (it is no longer theirs to see).
    expected_loser = {409, 404} if "return" in actions else {409}
    assert results.count(200) == 1 and set(results) - {200} <= expected_loser


def test_concurrent_registrations_get_distinct_numbers(app, world):
    calls = [("agent", "/api/v1/cases", {"content": f"并发登记 {i}"}) for i in range(8)]
    assert race(app, world, calls) == [201] * 8
    numbers = [n for (n,) in db.session.query(Case.number)]
    assert len(numbers) == len(set(numbers)) == 8
