"""What staff see of the background work: notices, the call list, queue health."""

from __future__ import annotations

from datetime import timedelta

from rq import Queue, SimpleWorker

from hotline.broker import get_redis
from hotline.extensions import db
from hotline.models import Case, User, utcnow
from hotline.services import cases, escalation, registration
from hotline.services.actors import Actor


def actor(username: str) -> Actor:
    return Actor.from_user(db.session.query(User).filter_by(username=username).one())


def overdue_case() -> Case:
    case = registration.register_case(actor("agent"), registration.NewCase(content="垃圾没人收",
                                                             department="URBAN"),
                               now=utcnow() - timedelta(days=10))
    escalation.process_due(case.id)
    return case


def test_department_sees_its_notices_and_marks_them_read(client, auth, world):
    case = overdue_case()
    auth.login("urban")
    html = client.get("/workbench").get_data(as_text=True)
    assert "提醒" in html and case.number in html and "已超过签收时限" in html
    client.post("/workbench/notices/read")
    assert case.number + " 已超过" not in client.get("/workbench").get_data(as_text=True)
    auth.logout()
    auth.login("housing")
    assert case.number not in client.get("/workbench").get_data(as_text=True)


def test_supervisor_sees_overdue_notices_and_queue_health(client, auth, world):
    case = overdue_case()

    queue = Queue("hotline", connection=get_redis())
    queue.enqueue("json.loads", "gateway exploded")  # fails: not JSON
    SimpleWorker([queue], connection=get_redis()).work(burst=True)
    auth.login("supervisor")
    html = client.get("/queues").get_data(as_text=True)
    assert case.number in html
    assert "hotline-high" in html and "hotline-low" in html
    assert "JSONDecodeError" in html and "json.loads" in html
    assert "尚无巡检记录" in html


def test_agent_records_a_phone_followup(client, auth, world):
    agent, urban = actor("agent"), actor("urban")
    case = registration.register_case(agent, registration.NewCase(
        content="路灯不亮", department="URBAN", citizen_phone="028-86612345"))
    cases.perform(urban, case.number, "accept")
    cases.perform(urban, case.number, "reply", {"content": "已修复"})
    escalation.process_due(case.id)
    auth.login("agent")
    assert case.number in client.get("/followups").get_data(as_text=True)
    response = client.post(f"/followups/{case.number}",
                           data={"satisfaction": "basically_satisfied", "comment": "还行"},
                           follow_redirects=True)
    assert "已记录回访结果" in response.get_data(as_text=True)
    db.session.refresh(case)
    assert case.status.value == "closed"
    assert case.satisfaction.value == "basically_satisfied"
    assert case.number not in client.get("/followups").get_data(as_text=True)


def test_department_staff_cannot_see_the_call_list_or_queues(client, auth, world):
    auth.login("urban")
    assert client.get("/followups").status_code == 403
    assert client.get("/queues").status_code == 403
