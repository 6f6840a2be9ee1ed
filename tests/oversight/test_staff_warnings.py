"""The forecast's early warnings sent to supervisors (console notice and e-mail), exactly
once per warning; and the risk page served from the job's cached snapshot with its age."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from hotline.broker import get_redis
from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Notification, OutboxMessage, SentWarning, User
from hotline.services import directory, hotspots, risk_snapshot, staff_warnings
from hotline.unit_of_work import unit_of_work
from tests.oversight.conftest import NOW
from tests.oversight.test_oversight_forecast import _steady_weeks
from tests.oversight.test_oversight_hotspots import register
from workflows import risk


def _burst() -> None:
    _steady_weeks()
    for hour in range(9):
        register(NOW - timedelta(hours=hour + 1))


def _send(now=NOW) -> list[str]:
    with unit_of_work():
        return staff_warnings.send(None, now=now)


def test_a_warning_is_sent_to_supervisors_exactly_once(world, client, auth):
    supervisor = db.session.query(User).filter_by(username="supervisor").one()
    supervisor.email = "duban@example.gov.cn"
    db.session.flush()
    _burst()
    sent = _send()
    assert "volume:2026-10-30:category:street_vending" in sent
    assert "volume:2026-10-30:district:锦江区" in sent
    notices = db.session.query(Notification).filter_by(kind=staff_warnings.KIND).all()
    assert len(notices) == len(sent) and all(n.role == "supervisor" for n in notices)
    assert any("超出预测区间" in n.message for n in notices)
    mails = db.session.query(OutboxMessage).filter_by(recipient="duban@example.gov.cn").all()
    assert len(mails) == len(sent) and all(m.channel == "email" for m in mails)
    # the job runs again (and again): nothing is sent twice
    assert _send() == [] and _send(NOW + timedelta(minutes=10)) == []
    assert db.session.query(Notification).filter_by(kind=staff_warnings.KIND).count() == len(sent)
    assert db.session.query(OutboxMessage).count() >= len(sent)
    assert db.session.query(SentWarning).count() == len(sent)
    # the supervisor sees it on the console
    auth.login("supervisor")
    html = client.get("/queues").get_data(as_text=True)
    assert "风险预警" in html and "超出预测区间" in html


def test_a_quiet_day_sends_nothing(world):
    _steady_weeks()
    assert _send() == []
    assert db.session.query(Notification).count() == 0


def test_a_cluster_rising_at_one_place_is_a_warning_once(world):
    def case(i: int, days: float):
        return SimpleNamespace(id=i, number=f"N{i}", created_at=NOW - timedelta(days=days))

    outlook = SimpleNamespace(today=NOW.date(), warnings=[])
    rising = hotspots.ClusterView("占道卖菜", "锦江区书院街街道",
                                  [case(1, 0.2), case(2, 0.5), case(3, 5)])
    old = hotspots.ClusterView("噪音", "武侯区玉林街道", [case(4, 6), case(5, 7), case(6, 0.1)])
    small = hotspots.ClusterView("路灯", "锦江区春熙路街道", [case(7, 0.1), case(8, 0.1)])
    nowhere = hotspots.ClusterView("路灯", None, [case(9, 0.1), case(10, 0.1), case(11, 0.1)])
    found = staff_warnings.due(outlook, [rising, old, small, nowhere], NOW)
    assert [w.key for w in found] == ["cluster:锦江区书院街街道:1"]
    assert "3 件相似诉求" in found[0].message and "N1" in found[0].message


def test_the_risk_page_is_served_from_the_snapshot_with_its_age(world, client, auth):
    _burst()
    with unit_of_work():
        snapshot = risk_snapshot.make(now=NOW)
    get_redis().set(risk.RISK_KEY, json.dumps(snapshot, ensure_ascii=False))
    auth.login("supervisor")
    html = client.get("/oversight/hotspots").get_data(as_text=True)
    assert 'id="figures-age"' in html and "由后台任务定时刷新" in html
    assert 'id="forecast-warnings"' in html  # the cached warnings are shown
    restored = risk_snapshot.outlook_of(snapshot)
    assert {(s.dimension, s.code) for s in restored.warnings} >= {
        ("category", "street_vending")}
    spikes = risk_snapshot.spikes_of(snapshot)
    assert set(spikes) == set(hotspots.WINDOWS)


def test_without_a_snapshot_the_page_computes_one(world, client, auth):
    auth.login("supervisor")
    html = client.get("/oversight/hotspots").get_data(as_text=True)
    assert 'id="figures-age"' in html and 'id="forecast"' in html


def test_a_supervisor_added_with_an_address_gets_the_mail(world):
    with unit_of_work():
        directory.add_user("duban2", role="supervisor", password="night-shift-pass-2025",
                           email="duban2@example.gov.cn")
    with pytest.raises(InvalidInput) as refused:
        directory.add_user("duban3", role="supervisor", password="night-shift-pass-2025",
                           email="not-an-address")
    assert refused.value.field == "email"
    _burst()
    sent = _send()
    mails = db.session.query(OutboxMessage).filter_by(recipient="duban2@example.gov.cn").all()
    assert sent and len(mails) == len(sent)
