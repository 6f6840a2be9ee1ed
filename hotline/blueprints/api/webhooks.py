"""Event push (工单交换) over the API: subscribe a URL, list and stop subscriptions, and
for admins the delivery log and replay. The payloads are in the document's ``webhooks``."""

from __future__ import annotations

from typing import Any

from flask import g

from hotline.apispec import checked_body, checked_query, operation
from hotline.apispec.components import OPT_STR, STR, TIME
from hotline.apispec.document import add_webhooks
from hotline.blueprints.api.base import bp, json_body, token_required
from hotline.errors import Forbidden
from hotline.models import Role
from hotline.services import webhooks
from hotline.unit_of_work import unit_of_work

SUBSCRIBE = {"type": "object", "additionalProperties": False, "required": ["url"],
             "properties": {
                 "url": {"type": "string", "format": "uri", "maxLength": 500,
                         "examples": ["https://dept.example.gov.cn/hotline/events"]},
                 "events": {"type": "array", "items": {"type": "string",
                                                       "enum": list(webhooks.EVENT_TYPES)}},
                 "department": {**OPT_STR, "description": "centre accounts: one department"}}}
SUBSCRIPTION = {"type": "object", "required": ["id", "url", "events", "department"],
                "properties": {"id": {"type": "integer"}, "url": STR,
                               "events": {"type": "array", "items": STR},
                               "department": OPT_STR,
                               "secret": {"type": "string",
                                          "description": "shown only when subscribing"}}}
DELIVERY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "event": OPT_STR, "url": STR, "case": OPT_STR,
    "status": {"type": "string", "enum": ["pending", "sending", "sent", "dead"]},
    "attempts": {"type": "integer"}, "last_error": OPT_STR, "created_at": TIME,
    "sent_at": {"type": ["string", "null"]}, "idempotency_key": STR}}
EVENT = {"type": "object", "required": ["id", "type", "occurred_at", "case", "event"],
         "properties": {
             "id": {"type": "string", "description": "also the Idempotency-Key header"},
             "type": {"type": "string", "enum": list(webhooks.EVENT_TYPES)},
             "occurred_at": TIME,
             "case": {"type": "object", "properties": {
                 "number": STR, "status": STR, "title": STR, "content": STR,
                 "district": OPT_STR, "street": OPT_STR, "category": OPT_STR,
                 "department": OPT_STR, "urgency": STR, "version": {"type": "integer"},
                 "handle_deadline": OPT_STR, "satisfaction": OPT_STR, "url": STR}},
             "event": {"type": "object", "properties": {
                 "action": STR, "note": OPT_STR, "data": {"type": "object"}}}}}
HEADERS = {
    "X-Hotline-Event": "the event type",
    "Idempotency-Key": "stable across retries: drop a repeat",
    "X-Hotline-Timestamp": "Unix seconds when signed",
    "X-Hotline-Signature": "sha256=<hex HMAC-SHA256 of '<timestamp>.<body>' with the secret>",
}


def _webhook_docs() -> dict[str, Any]:
    docs = {}
    for kind in webhooks.EVENT_TYPES:
        docs[kind] = {"post": {
            "operationId": f"webhook_{kind.replace('.', '_')}",
            "summary": f"{kind}: pushed to subscribed URLs", "tags": ["webhooks"],
            "parameters": [{"name": name, "in": "header", "required": True,
                            "schema": {"type": "string"}, "description": meaning}
                           for name, meaning in HEADERS.items()],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {**EVENT, "properties": {**EVENT["properties"],
                                                   "type": {"const": kind}}}}}},
            "responses": {"2XX": {"description": "delivered"},
                          "410": {"description": "gone: no more retries"},
                          "default": {"description": "retried with back-off"}}}}
    return docs


bp.record_once(lambda state: add_webhooks(state.app, _webhook_docs()))


def _subscription_json(subscription, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": subscription.id, "url": subscription.url,
                            "events": subscription.events,
                            "department": (subscription.department.code
                                           if subscription.department else None)}
    if secret:
        body["secret"] = secret
    return body


@bp.post("/webhooks")
@operation("订阅事件推送 / subscribe to events", "webhooks", status=201, answer=SUBSCRIPTION,
           body=SUBSCRIBE, errors=(403, 404))
@token_required
def subscribe():
    """Subscribe a URL to events of the caller's cases; the answer carries the signing
    secret, shown this once."""
    data = checked_body(json_body())
    with unit_of_work(keep_loaded=True):
        subscription, secret = webhooks.subscribe(g.actor, data["url"], data.get("events"),
                                                  data.get("department"))
    return _subscription_json(subscription, secret), 201


@bp.get("/webhooks")
@operation("事件推送订阅 / subscriptions", "webhooks",
           answer={"type": "object", "properties": {
               "items": {"type": "array", "items": SUBSCRIPTION}}})
@token_required
def list_subscriptions():
    """The active subscriptions the caller may see."""
    return {"items": [_subscription_json(s) for s in webhooks.subscriptions(g.actor)]}


@bp.delete("/webhooks/<int:subscription_id>")
@operation("取消订阅 / unsubscribe", "webhooks", status=204, errors=(404,),
           path={"subscription_id": {"type": "integer"}})
@token_required
def unsubscribe(subscription_id: int):
    """Stop a subscription."""
    with unit_of_work():
        webhooks.unsubscribe(g.actor, subscription_id)
    return "", 204


def _admin() -> None:
    if not g.actor.has_role(Role.ADMIN):
        raise Forbidden("没有权限")


@bp.get("/webhooks/deliveries")
@operation("推送投递记录（管理员） / delivery log (admin)", "webhooks", errors=(403,),
           query={"type": "object", "properties": {
               "status": {"type": "string", "enum": ["pending", "sending", "sent", "dead"]}}},
           answer={"type": "object", "properties": {
               "items": {"type": "array", "items": DELIVERY}}})
@token_required
def delivery_log():
    """Recent pushes with their status, attempts and last error."""
    _admin()
    status = checked_query().get("status")
    return {"items": [_delivery_json(m) for m in webhooks.deliveries(status=status)]}


@bp.post("/webhooks/deliveries/<int:message_id>/replay")
@operation("重新投递（管理员） / replay a delivery (admin)", "webhooks", answer=DELIVERY,
           errors=(403, 404), path={"message_id": {"type": "integer"}})
@token_required
def replay(message_id: int):
    """Send a push again, under the same idempotency key."""
    _admin()
    with unit_of_work(keep_loaded=True):
        message = webhooks.replay(message_id)
    return _delivery_json(message)


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _delivery_json(message) -> dict[str, Any]:
    return {"id": message.id, "event": message.template, "url": message.recipient,
            "case": webhooks.case_number(message),
            "status": message.status, "attempts": message.attempts,
            "last_error": message.last_error, "created_at": _iso(message.created_at),
            "sent_at": _iso(message.sent_at), "idempotency_key": message.idempotency_key}
