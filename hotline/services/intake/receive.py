"""One receiver per channel: check what arrived and store it, in the caller's transaction.

The raw message is kept before anything can fail: a body that does not parse is stored in
the review queue with the reason, an event (a subscription, a bounce) is stored as ignored.
A message to be made a case is stored claimed (``Receipt.claimed``) for its caller to process
once the store has committed, or, for SMS with workers, stored waiting; the commit then tells
the workers (``signals.inbound_stored``).
"""

from __future__ import annotations

import json
import logging
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import current_app
from sqlalchemy import update

from hotline.channels import IgnoredMessage, ParseError, mailthread
from hotline.channels import email as email_channel
from hotline.channels import sms as sms_channel
from hotline.channels import wechat as wechat_channel
from hotline.extensions import db
from hotline.models import InboundMessage, InboundStatus, utcnow
from hotline.services import signals
from hotline.services.intake.store import (
    Receipt,
    digest_id,
    raw_preview,
    store,
)
from hotline.unit_of_work import after_commit

S = InboundStatus

log = logging.getLogger(__name__)
WELCOME = ("感谢关注12345政务服务便民热线！请直接发送您的诉求（可附地址），"
           "我们会回复工单号和查询码；发送“查询 工单号”可查看办理进度。")


def deferred() -> bool:
    """Whether SMS webhooks are turned into cases by a worker rather than in the request."""
    config = current_app.config
    return bool(config.get("INTAKE_QUEUE")) and bool(config.get("SCHEDULING"))


def sms(body: bytes) -> Receipt:
    """Store one (signature-checked) SMS webhook body; parse failures go to review.

    With workers the message is stored waiting and the commit queues the drain; without,
    it is stored claimed for the caller to process."""
    try:
        parsed = sms_channel.parse_message(body)
    except ParseError as exc:
        sender = sms_channel.normalize_phone(_json_id(body, "from") or "")
        return store("sms", _json_id(body, "message_id") or digest_id(body), body,
                     sender=sender, status=S.REVIEW, reason=exc.reason,
                     summary=_json_id(body, "text", 1000) or raw_preview(body))
    later = deferred()
    receipt = store("sms", parsed.external_id, body, sender=parsed.sender,
                    status=S.RECEIVED if later else S.PROCESSING, summary=parsed.text)
    if later and not receipt.duplicate and receipt.status == S.RECEIVED:
        after_commit(signals.inbound_stored.send, receipt.id, channel="sms",
                     key="inbound-stored")
    return receipt


def wechat(body: bytes) -> Receipt:
    """Store one (signature-checked) WeChat push, claimed: the caller processes it at once,
    so the citizen's answer can go back in the HTTP response."""
    try:
        parsed = wechat_channel.parse_message(body)
    except IgnoredMessage as exc:
        reply = WELCOME if exc.kind == "subscribe" else None
        return store("wechat", exc.external_id, body, sender=exc.sender, status=S.IGNORED,
                     reason=f"event: {exc.kind}", reply=reply)
    except ParseError as exc:
        return store("wechat", digest_id(body), body, status=S.REVIEW, reason=exc.reason,
                     summary=raw_preview(body))
    return store("wechat", parsed.external_id, body, sender=parsed.sender,
                 status=S.PROCESSING, summary=parsed.text)


def wechat_unreadable(body: bytes, reason: str) -> Receipt:
    """Store a signed safe-mode push that does not decrypt, raw, for a person to look at."""
    return store("wechat", digest_id(body), body, status=S.REVIEW, reason=reason,
                 summary=raw_preview(body))


def email(raw: bytes, *, archive: bool = True) -> Receipt:
    """Store one raw e-mail, claimed for processing at once (mail comes from a batch, the
    poller or the CLI, never a waiting gateway); bounces and auto-replies are kept but
    ignored, unreadable mail goes to review. The .eml is archived once the store commits."""
    external_id, sender = email_identity(raw)
    if email_channel.is_auto_generated(raw):
        receipt = store("email", external_id, raw, sender=sender, status=S.IGNORED,
                        reason="自动回复或退信，不受理 / auto-generated mail ignored")
    else:
        try:
            parsed = email_channel.parse_email(raw, max_attachment_bytes=upload_limit())
        except ParseError as exc:
            receipt = store("email", external_id, raw, sender=sender, status=S.REVIEW,
                            reason=exc.reason, summary=raw_preview(raw))
        else:
            summary = "\n".join(p for p in (parsed.title, parsed.text) if p)
            receipt = store("email", external_id, raw, sender=parsed.sender,
                            status=S.PROCESSING, summary=summary)
    if not receipt.duplicate:
        _keep_thread(receipt.id, raw)
    if archive and not receipt.duplicate:
        after_commit(_archive_eml, raw, receipt.id)
    return receipt


def _keep_thread(message_id: int, raw: bytes) -> None:
    """Keep the mail's Message-ID and References, for answers that thread to it."""
    try:
        headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
        own = mailthread.message_ids(str(headers.get("Message-ID") or ""))
        earlier = " ".join(mailthread.message_ids(str(headers.get("References") or "")))
    except Exception:  # noqa: BLE001 - a mail without usable headers threads to nothing
        return
    if own and len(own[0]) <= 500:
        db.session.execute(update(InboundMessage).where(InboundMessage.id == message_id)
                           .values(mail_message_id=own[0], mail_references=earlier or None)
                           .execution_options(synchronize_session=False))


def email_identity(raw: bytes) -> tuple[str, str | None]:
    """(external id, sender address) from the headers alone: the Message-ID, or the hash of
    the mail when it has none, so a re-fetched mail always gets the same id."""
    try:
        headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
        value = re.sub(r"\s+", "", str(headers.get("Message-ID") or "")).strip("<>")
        sender_header = str(headers.get("From") or "")
    except Exception:  # noqa: BLE001 - the hash below is always available
        value, sender_header = "", ""
    if len(value) > 200:
        value = digest_id(value.encode("utf-8", "surrogateescape"))
    found = re.search(r"[^@\s<>\"',;:()\[\]]+@[^@\s<>\"',;:()\[\]]+", sender_header)
    return value or digest_id(raw), found.group(0).lower()[:200] if found else None


def upload_limit() -> int:
    """The largest attachment accepted, in bytes."""
    return current_app.config["UPLOAD_MAX_BYTES"]


def _archive_eml(raw: bytes, message_id: int) -> None:
    folder = (Path(current_app.config["INSTANCE_PATH"]) / "mail" / "archive"
              / utcnow().strftime("%Y%m%d"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message_id}.eml").write_bytes(raw)
    except OSError as exc:  # the database copy is the one that counts
        log.warning("could not archive mail %s: %s", message_id, exc)


def _json_id(body: bytes, key: str, limit: int = 128) -> str | None:
    """A string field of a JSON body that failed to parse as a message, if it has one."""
    try:
        value = json.loads(body).get(key)
    except (ValueError, AttributeError, RecursionError):
        return None
    return value.strip()[:limit] if isinstance(value, str) and value.strip() else None
