"""Event push (工单交换): subscriptions, the events they receive, the delivery log.

A case event that integrating systems care about (:data:`EVENTS`) is written into the
outbox in the same transaction as the change, once per matching subscription, so a push
exists if and only if the change was committed; the outbox delivers it with retries and
back-off (:mod:`hotline.gateways.webhook` signs it). The service that changes a case calls
:func:`push` with the events it recorded once the case is complete (``services/cases.py``
at the end of each registration, action or rating; ``services/escalation.py`` after what
fired). A department's subscription receives its own cases' events; a centre account's may
cover every case. A subscribed URL must lead to a public address or an allow-listed one
(:mod:`hotline.gateways.destinations`), checked now and again on each delivery.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import inspect, select, update

from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.extensions import db
from hotline.gateways import signing_secret
from hotline.gateways.destinations import Policy, RefusedDestination, check_url
from hotline.models import Case, CaseEvent, Role, WebhookSubscription, utcnow
from hotline.models.outbox import OutboxMessage
from hotline.services import directory, freshness, outbox
from hotline.services.actors import Actor

#: case actions pushed, and the event type each becomes
EVENTS: dict[str, str] = {
    "dispatch": "case.dispatched",
    "supervise": "case.supervised",
    "approve_extension": "case.extension_decided",
    "reject_extension": "case.extension_decided",
    "reopen": "case.reopened",
    "feedback": "case.rated",
}
EVENT_TYPES = tuple(sorted(set(EVENTS.values())))
CHANNEL = "webhook"


def subscribe(actor: Actor, url: str, events: list[str] | None,
              department: str | None = None) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url`` to events (all of them when none are named); answers the
    subscription and its signing secret, which is shown only now. Department staff
    subscribe to their own department; centre accounts to one department or to all."""
    url = _url(url)
    chosen = sorted(set(events or EVENT_TYPES))
    unknown = [e for e in chosen if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput("「{field}」的值「{value}」无效，可选：{choices}", field="events",
                           value=unknown[0], choices=", ".join(EVENT_TYPES))
    department_id = _scope(actor, department)
    subscription = WebhookSubscription(url=url, events=chosen, department_id=department_id,
                                       created_by_id=actor.user_id,
                                       salt=secrets.token_hex(16))
    db.session.add(subscription)
    db.session.flush()
    return subscription, secret_of(subscription)


def secret_of(subscription: WebhookSubscription) -> str:
    """The subscription's signing secret, derived from the server key and its salt."""
    return signing_secret(current_app.config["SECRET_KEY"], subscription.salt)


def _url(url: Any) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 500:
        raise InvalidInput("「{field}」必须是 http(s) 地址", field="url")
    try:
        check_url(url, Policy.from_settings(current_app.config))
    except RefusedDestination as refused:
        raise InvalidInput("「{field}」必须指向可解析的公网地址（内网、本机、组播与保留地址须先列入"
                           "允许名单）：{reason}", field="url", reason=str(refused)) from None
    return url


def _scope(actor: Actor, department: str | None) -> int | None:
    if actor.has_role(Role.DEPARTMENT):
        return actor.department_id
    if not actor.has_role(Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("没有权限")
    if department:
        return directory.department_by_code(department).id
    return None


def subscriptions(actor: Actor) -> list[WebhookSubscription]:
    """The active subscriptions the actor may see: a department's own, or all for the centre."""
    query = select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
    if actor.has_role(Role.DEPARTMENT):
        query = query.where(WebhookSubscription.department_id == actor.department_id)
    return list(db.session.scalars(query.order_by(WebhookSubscription.id)))


def unsubscribe(actor: Actor, subscription_id: int) -> None:
    """Stop a subscription; nothing more is pushed to it."""
    found = next((s for s in subscriptions(actor) if s.id == subscription_id), None)
    if found is None:
        raise NotFound("订阅不存在")
    found.active = False


def push(events: Iterable[CaseEvent]) -> None:
    """Write a push for each subscription that wants each of ``events``, in the caller's
    transaction; called by the service that recorded them once the case is complete (it
    has its id and number). Events undone by a rolled-back savepoint are left out."""
    wanted = [e for e in events if e.action in EVENTS
              and (inspect(e).pending or inspect(e).persistent)]
    for event in wanted:
        _push_all(event)


@dataclass(frozen=True)
class Receiver:
    """What a push needs of an active subscription (a per-process cache holds these)."""

    id: int
    url: str
    events: frozenset[str]
    department_id: int | None
    salt: str


def _receivers() -> tuple[Receiver, ...]:
    """The active subscriptions, from a per-process cache kept while none was written
    (:func:`freshness.cached`: a subscription made or stopped anywhere receives or stops
    with the next event here). Every dispatch asks, and most cities have a handful."""
    return freshness.cached(freshness.WEBHOOKS, _load_receivers)


def _load_receivers() -> tuple[Receiver, ...]:
    return tuple(
        Receiver(s.id, s.url, frozenset(s.events or ()), s.department_id, s.salt)
        for s in db.session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.active.is_(True)).order_by(WebhookSubscription.id)))


def _push_all(noted: CaseEvent) -> None:
    kind = EVENTS[noted.action]
    case = noted.case
    department_id = noted.department_id or case.department_id
    for receiver in _receivers():
        if (receiver.department_id is None or receiver.department_id == department_id) \
                and kind in receiver.events:
            _push(receiver, kind, case, noted)


def _push(subscription: Receiver, kind: str, case: Case, event: CaseEvent) -> None:
    key = f"whk_{uuid.uuid4().hex}"
    payload = {"id": key, "type": kind, "occurred_at": _iso(event.at),
               "case": _case_json(case), "event": {"action": event.action, "note": event.note,
                                                   "data": event.data or {}}}
    outbox.enqueue(CHANNEL, subscription.url, json.dumps(payload, ensure_ascii=False),
                   idempotency_key=key, template=kind,
                   data={"salt": subscription.salt, "subscription": subscription.id},
                   case_id=case.id)


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _case_json(case: Case) -> dict[str, Any]:
    return {"number": case.number, "status": case.status.value, "title": case.title,
            "content": case.content, "district": case.district, "street": case.street,
            "category": case.category.code if case.category else None,
            "department": case.department.code if case.department else None,
            "urgency": case.urgency.value, "version": case.version,
            "handle_deadline": _iso(case.handle_deadline),
            "satisfaction": case.satisfaction.value if case.satisfaction else None,
            "url": f"/api/v1/cases/{case.number}"}


def deliveries(limit: int = 100, *, status: str | None = None,
               subscription_id: int | None = None) -> list[OutboxMessage]:
    """The delivery log: recent pushes, newest first, with their status and last error;
    optionally only one status, or only the pushes of one subscription."""
    query = select(OutboxMessage).where(OutboxMessage.channel == CHANNEL)
    if status:
        query = query.where(OutboxMessage.status == status)
    if subscription_id is not None:
        query = query.where(OutboxMessage.data["subscription"].as_integer() == subscription_id)
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def case_number(message: OutboxMessage) -> str | None:
    """The number of the case a push is about, read from its payload."""
    try:
        return json.loads(message.body).get("case", {}).get("number")
    except (ValueError, AttributeError):
        return None


def all_subscriptions() -> list[WebhookSubscription]:
    """Every subscription, stopped ones too (the delivery log names them), oldest first."""
    return list(db.session.scalars(select(WebhookSubscription)
                                   .order_by(WebhookSubscription.id)))


def replay(message_id: int) -> OutboxMessage:
    """Send a push again (after the receiver was fixed): back to pending, due now, with
    its attempts counted afresh; the idempotency key stays, so a receiver that did get it
    can drop the repeat."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.channel == CHANNEL,
               OutboxMessage.status != "sending")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise NotFound("投递记录不存在或正在发送")
    db.session.info.setdefault(outbox.NEW_MESSAGES, []).append(message_id)
    return db.session.get(OutboxMessage, message_id, populate_existing=True)
