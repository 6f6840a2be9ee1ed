"""The event-push delivery log as an admin sees it: filtered by subscription and status, and a
push replayed with one click (a screenshot is kept for the issue's note)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hotline.extensions import db
from hotline.models import OutboxStatus, WebhookSubscription, utcnow
from hotline.models.outbox import OutboxMessage
from hotline.unit_of_work import unit_of_work
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.committing]  # a live server thread
SCREENSHOT = "/tmp/webhook-deliveries.png"


def _push(subscription: WebhookSubscription, number: str, status: OutboxStatus,
          error: str | None, attempts: int) -> OutboxMessage:
    body = {"id": f"whk_{number}_{status}", "type": "case.dispatched",
            "case": {"number": number}}
    message = OutboxMessage(channel="webhook", recipient=subscription.url,
                            body=json.dumps(body), idempotency_key=body["id"],
                            template="case.dispatched", status=status, attempts=attempts,
                            last_error=error, data={"subscription": subscription.id,
                                                    "salt": subscription.salt},
                            next_attempt_at=utcnow() + timedelta(hours=1))
    db.session.add(message)
    return message


def test_admin_filters_the_log_and_replays_a_push(page, world):
    with unit_of_work():
        urban = WebhookSubscription(url="https://oa.urban.example.gov.cn/hotline/events",
                                    events=["case.dispatched"], salt="a")
        housing = WebhookSubscription(url="https://housing.example.gov.cn/api/push",
                                      events=["case.dispatched"], salt="b")
        db.session.add_all([urban, housing])
        db.session.flush()
        _push(urban, "20261201000001", OutboxStatus.SENT, None, 1)
        dead = _push(urban, "20261201000002", OutboxStatus.DEAD,
                     "webhook: HTTP 503: receiver down for maintenance", 8)
        _push(housing, "20261201000003", OutboxStatus.PENDING,
              "webhook: network error: timed out", 2)
    dead_id, urban_id = dead.id, urban.id

    login(page, "admin")
    page.goto("/admin/webhooks")
    rows = page.locator("#deliveries tbody tr")
    expect(rows).to_have_count(3)
    page.select_option("select[name=subscription]", str(urban_id))
    page.click("#delivery-filter button[type=submit]")
    expect(rows).to_have_count(2)
    page.select_option("select[name=status]", "dead")
    page.click("#delivery-filter button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("receiver down for maintenance")
    page.goto(f"/admin/webhooks?subscription={urban_id}")
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.locator(f'tr:has(td.mono:text-is("{dead_id}")) button.replay').click()
    expect(page.locator(".flash").first).to_contain_text("已重新排队投递")
    db.session.expire_all()
    replayed = db.session.get(OutboxMessage, dead_id)
    assert replayed.status == OutboxStatus.PENDING and replayed.attempts == 0
    assert replayed.last_error is None
