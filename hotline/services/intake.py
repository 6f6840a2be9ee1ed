"""One way in: whatever a citizen sends, by any channel, becomes a case or waits for a person.

1. **Store**: the raw message (channel, external id, sender, payload) is written and committed
   before the channel gets its answer; ``(channel, external_id)`` is unique, so a retried or
   concurrent second delivery finds the first row and never makes a second case.
2. **Process** (in the request, or for SMS in a worker, see ``INTAKE_QUEUE``): the
   payload is parsed again from the stored bytes and the message becomes a new case, joins the
   citizen's case (a reply quoting its number, an exact repeat, a follow-up a few minutes
   later), answers a "查询" or a satisfaction rating, or goes to the review queue with the
   reason. The outcome, the message's status and the answer to the citizen (outbox) are
   committed in one transaction.
3. **Review**: an agent turns a queued message into a case or discards it with a reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import redis
from flask import current_app
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from hotline.channels import Attachment as UploadedFile
from hotline.channels import IgnoredMessage, ParseError
from hotline.channels import email as email_channel
from hotline.channels import sms as sms_channel
from hotline.channels import wechat as wechat_channel
from hotline.channels.text import clean_text, parse_rating
from hotline.channels.uploads import check_attachment
from hotline.extensions import db
from hotline.models import (
    Attachment,
    Case,
    CaseStatus,
    Channel,
    Citizen,
    InboundMessage,
    RequestType,
    Satisfaction,
    utcnow,
)
from hotline.models.enums import LABELS_ZH
from hotline.services import cases, outbox, repeats, storage
from hotline.services.actors import Actor
from hotline.errors import Conflict, InvalidInput, NotFound, ServiceError
from hotline.services.validation import choice, optional_text, phone_number, required_text

log = logging.getLogger(__name__)

RECEIVED = "received"
PROCESSING = "processing"
CASE = "case"
APPENDED = "appended"
ANSWERED = "answered"
IGNORED = "ignored"
REVIEW = "review"
DISCARDED = "discarded"
STATUSES = (RECEIVED, PROCESSING, CASE, APPENDED, ANSWERED, IGNORED, REVIEW, DISCARDED)
FINISHED = frozenset({CASE, APPENDED, ANSWERED, IGNORED, DISCARDED})
STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5
CLAIM_BATCH = 50
DRAIN_FLAG = "hotline:intake:drain"
DRAIN_SECONDS = 120  # one drain job works this long, then queues the next one
DRAIN_JOB_TIMEOUT = 600
SUMMARY_CHARS = 1000
RATINGS = {1: Satisfaction.SATISFIED, 2: Satisfaction.BASICALLY_SATISFIED,
           3: Satisfaction.DISSATISFIED}
CONTENT_TYPES = {"sms": "application/json", "wechat": "text/xml", "email": "message/rfc822",
                 "mailbox": "application/json"}
# Channels with no agent on the line (the mayor's mailbox by web and e-mail, and chat): the
# classifier dispatches their cases at once when it is confident, else they wait for agents.
AUTO_DISPATCH = frozenset({Channel.MAILBOX.value, Channel.EMAIL.value, Channel.WECHAT.value,
                           Channel.SMS.value, Channel.WEBCHAT.value})
WELCOME = ("感谢关注12345政务服务便民热线！请直接发送您的诉求（可附地址），"
           "我们会回复工单号和查询码；发送“查询 工单号”可查看办理进度。")


@dataclass
class Receipt:
    """A stored message: its id, its status when stored, and whether it was already there
    (a repeated delivery). The row itself is loaded only when asked for."""

    id: int
    status: str
    duplicate: bool = False

    @property
    def message(self) -> InboundMessage:
        """The stored message as it is now."""
        return get_message(self.id)

    @property
    def reply(self) -> str | None:
        """What the citizen was (or will be) answered on the channel."""
        return self.message.reply


@dataclass
class Request:
    """A parsed message in the terms of a case, whatever channel it came from."""

    channel: str
    text: str
    title: str | None = None
    phone: str | None = None
    contact: str | None = None
    name: str | None = None
    address: str | None = None
    request_type: str | None = None
    uploads: tuple[UploadedFile, ...] = ()
    kept_attachment_ids: tuple[int, ...] = ()
    reply_to_case: str | None = None
    query_case: str | None = None
    rating: int | None = None
    passive: bool = False  # WeChat: the answer goes back in the HTTP response itself
    reply_to: str | None = field(default=None)  # address for an outbox answer


# ---------------------------------------------------------------- storing


def store(channel: str, external_id: str, payload: bytes, *, sender: str | None = None,
          status: str = RECEIVED, reason: str | None = None, summary: str | None = None,
          reply: str | None = None) -> Receipt:
    """Write the raw message and commit; a second delivery returns the first row.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``: the acknowledgement's hot path,
    with no ORM bookkeeping and no exception for a duplicate.
    """
    now = utcnow()
    external_id = external_id[:200]
    values = dict(
        channel=channel, external_id=external_id, sender=(sender or None) and sender[:200],
        content_type=CONTENT_TYPES.get(channel, "application/octet-stream"), payload=payload,
        received_at=now, status=status, reason=reason, summary=_clip(summary), reply=reply,
        attempts=1 if status == PROCESSING else 0,
        claimed_at=now if status == PROCESSING else None,
        processed_at=now if status in FINISHED or status == REVIEW else None)
    new_id = db.session.execute(_insert_statement(), values).scalar()
    db.session.commit()
    if new_id is not None:
        return Receipt(new_id, status)
    row = db.session.execute(select(InboundMessage.id, InboundMessage.status).where(
        InboundMessage.channel == channel, InboundMessage.external_id == external_id)).first()
    if row is None:  # the other delivery's transaction rolled back: store this one
        return store(channel, external_id, payload, sender=sender, status=status,
                     reason=reason, summary=summary, reply=reply)
    return Receipt(row.id, row.status, duplicate=True)


_INSERTS: dict[str, Any] = {}


def _insert_statement():
    """The message INSERT, built once per dialect (values are bound at execution)."""
    dialect = db.session.get_bind().dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:
        table = InboundMessage.__table__
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (insert(table).on_conflict_do_nothing(index_elements=["channel", "external_id"])
                     .returning(table.c.id))
        _INSERTS[dialect] = statement
    return statement


def find_message(channel: str, external_id: str) -> InboundMessage | None:
    """The stored message with this channel id, if any."""
    return db.session.scalars(select(InboundMessage).where(
        InboundMessage.channel == channel, InboundMessage.external_id == external_id)).first()


def digest_id(payload: bytes) -> str:
    """The external id of a message without a usable one: the hash of its bytes."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def _clip(text: str | None) -> str | None:
    return text[:SUMMARY_CHARS] if text else text


def _after_storing(receipt: Receipt, *, deferred: bool) -> Receipt:
    if receipt.duplicate or receipt.status not in (RECEIVED, PROCESSING):
        return receipt
    if deferred:
        kick_drain()
    else:
        process(receipt.id, claimed=True)
    return receipt


def deferred() -> bool:
    """Whether SMS webhooks are turned into cases by a worker rather than in the request."""
    config = current_app.config
    return bool(config.get("INTAKE_QUEUE")) and bool(config.get("SCHEDULING"))


def receive_sms(body: bytes) -> Receipt:
    """Store one (signature-checked) SMS webhook body; parse failures go to review."""
    try:
        parsed = sms_channel.parse_message(body)
    except ParseError as exc:
        sender = sms_channel.normalize_phone(_json_id(body, "from") or "")
        return store("sms", _json_id(body, "message_id") or digest_id(body), body,
                     sender=sender, status=REVIEW, reason=exc.reason,
                     summary=_json_id(body, "text", 1000) or _raw_preview(body))
    later = deferred()
    receipt = store("sms", parsed.external_id, body, sender=parsed.sender,
                    status=RECEIVED if later else PROCESSING, summary=parsed.text)
    return _after_storing(receipt, deferred=later)


def receive_wechat(body: bytes) -> Receipt:
    """Store one (signature-checked) WeChat push and process it at once, so the citizen's
    answer can go back in the HTTP response."""
    try:
        parsed = wechat_channel.parse_message(body)
    except IgnoredMessage as exc:
        reply = WELCOME if exc.kind == "subscribe" else None
        return store("wechat", exc.external_id, body, sender=exc.sender, status=IGNORED,
                     reason=f"event: {exc.kind}", reply=reply)
    except ParseError as exc:
        return store("wechat", digest_id(body), body, status=REVIEW, reason=exc.reason,
                     summary=_raw_preview(body))
    receipt = store("wechat", parsed.external_id, body, sender=parsed.sender,
                    status=PROCESSING, summary=parsed.text)
    if not receipt.duplicate:
        process(receipt.id, claimed=True, passive=True)
    return receipt


def receive_email(raw: bytes, *, archive: bool = True) -> Receipt:
    """Store one raw e-mail (and archive the .eml), then make it a case at once (mail comes
    from a batch, the poller or the CLI, never a waiting gateway); bounces and auto-replies
    are kept but ignored, unreadable mail goes to review."""
    external_id, sender = email_identity(raw)
    if email_channel.is_auto_generated(raw):
        receipt = store("email", external_id, raw, sender=sender, status=IGNORED,
                        reason="自动回复或退信，不受理 / auto-generated mail ignored")
    else:
        try:
            parsed = email_channel.parse_email(raw, max_attachment_bytes=_upload_limit())
        except ParseError as exc:
            receipt = store("email", external_id, raw, sender=sender, status=REVIEW,
                            reason=exc.reason, summary=_raw_preview(raw))
        else:
            summary = "\n".join(p for p in (parsed.title, parsed.text) if p)
            receipt = store("email", external_id, raw, sender=parsed.sender,
                            status=PROCESSING, summary=summary)
            if archive and not receipt.duplicate:
                _archive_eml(raw, receipt.id)
            return _after_storing(receipt, deferred=False)
    if archive and not receipt.duplicate:
        _archive_eml(raw, receipt.id)
    return receipt


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


def _raw_preview(payload: bytes) -> str:
    return payload[:SUMMARY_CHARS * 3].decode("utf-8", "replace")[:SUMMARY_CHARS]


def _upload_limit() -> int:
    return current_app.config["UPLOAD_MAX_BYTES"]


# ---------------------------------------------------------------- the mayor's mailbox


@dataclass(frozen=True)
class Letter:
    """A mayor's-mailbox letter, checked."""

    name: str | None
    phone: str
    address: str | None
    title: str | None
    content: str
    request_type: str


def check_letter(form: dict[str, Any], files: list[tuple[str, bytes]]) -> tuple[
        Letter, list[UploadedFile]]:
    """Check the letter's fields and screen its files by content; InvalidInput names the
    field that is wrong."""
    max_chars = current_app.config["CONTENT_MAX_CHARS"]
    phone = phone_number(form.get("phone"))
    if phone is None:
        raise InvalidInput("「{field}」不能为空", field="phone")
    letter = Letter(
        name=optional_text(form.get("name"), "name", max_chars=100),
        phone=phone,
        address=optional_text(form.get("address"), "address", max_chars=300),
        title=optional_text(form.get("title"), "title", max_chars=100),
        content=required_text(form.get("content"), "content", max_chars=max_chars),
        request_type=choice(form.get("type") or None, RequestType, "type",
                            RequestType.COMPLAINT).value,
    )
    limit = current_app.config["UPLOAD_MAX_FILES"]
    files = [(name, data) for name, data in files if name or data]
    if len(files) > limit:
        raise InvalidInput("附件最多 {max} 个", field="attachments", max=limit)
    uploads = []
    for name, data in files:
        try:
            uploads.append(check_attachment(name, data, max_bytes=_upload_limit()))
        except ParseError as exc:
            raise InvalidInput("附件不能接收：{reason}", field="attachments",
                               reason=exc.reason) from None
    return letter, uploads


def receive_letter(letter: Letter, uploads: list[UploadedFile], token_id: str,
                   client: str) -> Receipt:
    """Store a mailbox letter with its files (one transaction), then make it a case."""
    written = [storage.write_file(upload) for upload in uploads]
    payload = json.dumps({
        "name": letter.name, "phone": letter.phone, "address": letter.address,
        "title": letter.title, "content": letter.content, "type": letter.request_type,
        "client": client,
        "attachments": [{"filename": u.filename, "content_type": u.content_type,
                         "size": len(u.data), "sha256": digest, "path": path}
                        for u, (path, digest) in zip(uploads, written, strict=True)],
    }, ensure_ascii=False).encode("utf-8")
    now = utcnow()
    message = InboundMessage(channel="mailbox", external_id=token_id[:200], sender=letter.phone,
                             content_type="application/json", payload=payload, received_at=now,
                             status=PROCESSING, claimed_at=now, attempts=1,
                             summary=_clip("\n".join(p for p in (letter.title, letter.content)
                                                     if p)))
    db.session.add(message)
    try:
        db.session.flush()
        for upload, (path, digest) in zip(uploads, written, strict=True):
            db.session.add(Attachment(message_id=message.id, filename=upload.filename[:200],
                                      content_type=upload.content_type, size=len(upload.data),
                                      sha256=digest, path=path))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        storage.remove_files([path for path, _ in written])
        earlier = find_message("mailbox", token_id[:200])
        if earlier is None:
            raise
        return Receipt(earlier.id, earlier.status, duplicate=True)
    message_id = message.id
    process(message_id, claimed=True)
    return Receipt(message_id, PROCESSING)


# ---------------------------------------------------------------- processing


def process(message_id: int, *, claimed: bool = False, passive: bool = False) -> bool:
    """Turn one stored message into its outcome; a message that cannot be handled goes to
    review with the reason. False when someone else holds the message."""
    if not claimed and not claim(message_id):
        return False
    message = db.session.get(InboundMessage, message_id)
    if message is None or message.status != PROCESSING:
        return False
    if message.attempts > MAX_ATTEMPTS:  # it keeps killing its worker: a person looks at it
        _to_review(message_id, f"多次处理未能完成 / processing did not finish in "
                               f"{MAX_ATTEMPTS} attempts")
        return True
    try:
        request = REQUEST_BUILDERS[message.channel](message)
        request.passive = passive
        if message.summary is None:
            message.summary = _clip(request.text)
        _route(message, request)
    except ParseError as exc:
        db.session.rollback()
        _to_review(message_id, exc.reason)
    except ServiceError as exc:
        db.session.rollback()
        _to_review(message_id, _service_reason(exc))
    except Exception as exc:  # noqa: BLE001 - kept for a person, never lost
        db.session.rollback()
        if _is_job_timeout(exc):  # not the message's fault: it is taken again later
            raise
        log.exception("processing inbound message %s failed", message_id)
        _to_review(message_id, f"处理出错 / processing failed: {exc!r}"[:2000])
    return True


def claim(message_id: int, now: datetime | None = None) -> bool:
    """Compare-and-set a received (or long-stuck) message to processing."""
    now = now or utcnow()
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id, _claimable(now))
        .values(status=PROCESSING, claimed_at=now, attempts=InboundMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def _claimable(now: datetime):
    return or_(InboundMessage.status == RECEIVED,
               and_(InboundMessage.status == PROCESSING,
                    InboundMessage.claimed_at <= now - STALE_AFTER))


def claim_batch(limit: int = CLAIM_BATCH, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` waiting messages at once (oldest first); safe for many workers."""
    now = now or utcnow()
    waiting = (select(InboundMessage.id).where(_claimable(now))
               .order_by(InboundMessage.id).limit(limit).scalar_subquery())
    ids = list(db.session.scalars(
        update(InboundMessage)
        .where(InboundMessage.id.in_(waiting), _claimable(now))
        .values(status=PROCESSING, claimed_at=now, attempts=InboundMessage.attempts + 1)
        .returning(InboundMessage.id).execution_options(synchronize_session=False)))
    db.session.commit()
    return sorted(ids)


def _is_job_timeout(exc: Exception) -> bool:
    try:
        from rq.timeouts import BaseTimeoutException
    except ImportError:  # pragma: no cover - rq is a dependency
        return False
    return isinstance(exc, BaseTimeoutException)


def drain(limit: int | None = None, seconds: float | None = None) -> int:
    """Process waiting messages until none is left (or ``limit`` were done, or ``seconds``
    have passed: a worker job stays well within its time limit and queues the rest)."""
    done = 0
    deadline = time.monotonic() + seconds if seconds is not None else None
    while (limit is None or done < limit) and (deadline is None or time.monotonic() < deadline):
        batch = claim_batch(CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - done))
        if not batch:
            break
        for message_id in batch:
            process(message_id, claimed=True)
            done += 1
    return done


def waiting_count() -> int:
    """Messages stored and not yet taken by a worker."""
    return db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.status == RECEIVED)) or 0


def kick_drain() -> None:
    """Make sure a worker job will process the waiting messages (one queued job at a time)."""
    try:
        connection = _redis()
        if connection.set(DRAIN_FLAG, 1, nx=True, ex=300):
            from rq import Queue

            from workflows.mail import drain_inbound
            from workflows.queues import HIGH

            # High priority: ahead of the outbox deliveries the drain itself produces.
            Queue(HIGH, connection=connection).enqueue(drain_inbound,
                                                       job_timeout=DRAIN_JOB_TIMEOUT)
    except redis.RedisError as exc:
        log.warning("could not queue inbound processing (shown as waiting on /agent/review): "
                    "%s", exc)


def _redis():
    from hotline.broker import get_redis

    return get_redis()


def _service_reason(exc: ServiceError) -> str:
    params = {"field": LABELS_ZH.get(exc.field or "", exc.field), **exc.params}
    try:
        return exc.message.format(**params)
    except (KeyError, IndexError):
        return exc.message


def _to_review(message_id: int, reason: str) -> None:
    message = db.session.get(InboundMessage, message_id)
    message.status = REVIEW
    message.reason = reason
    message.processed_at = utcnow()
    db.session.commit()


# -- each channel's stored bytes, as a request


def _sms_request(message: InboundMessage) -> Request:
    parsed = sms_channel.parse_message(message.payload)
    return Request(channel="sms", text=parsed.text, phone=parsed.sender, reply_to=parsed.sender,
                   query_case=parsed.query_case, rating=parsed.rating)


def _wechat_request(message: InboundMessage) -> Request:
    parsed = wechat_channel.parse_message(message.payload)
    rating = parse_rating(parsed.text) if parsed.text else None
    return Request(channel="wechat", text=parsed.text, title=parsed.title,
                   contact=parsed.sender, reply_to=parsed.sender, query_case=parsed.query_case,
                   rating=rating)


def _email_request(message: InboundMessage) -> Request:
    parsed = email_channel.parse_email(message.payload, max_attachment_bytes=_upload_limit())
    return Request(channel="email", text=parsed.text or parsed.title or "", title=parsed.title,
                   contact=parsed.sender, name=parsed.sender_name, reply_to=parsed.sender,
                   uploads=parsed.attachments, reply_to_case=parsed.reply_to_case)


def _mailbox_request(message: InboundMessage) -> Request:
    data = json.loads(message.payload)
    kept = tuple(db.session.scalars(select(Attachment.id).where(
        Attachment.message_id == message.id).order_by(Attachment.id)))
    return Request(channel="mailbox", text=data["content"], title=data.get("title"),
                   phone=data.get("phone"), name=data.get("name"), address=data.get("address"),
                   request_type=data.get("type"), kept_attachment_ids=kept)


REQUEST_BUILDERS: dict[str, Callable[[InboundMessage], Request]] = {
    "sms": _sms_request, "wechat": _wechat_request, "email": _email_request,
    "mailbox": _mailbox_request,
}


# -- what a request becomes


def _route(message: InboundMessage, request: Request) -> None:
    now = utcnow()
    if request.query_case:
        return _answer_query(message, request)
    if request.rating is not None:
        return _rate(message, request)
    if request.reply_to_case:
        case = db.session.scalars(select(Case).where(
            Case.number == request.reply_to_case)).first()
        if case is not None:
            return _append(message, request, case, "supplement")
    open_cases = repeats.open_cases_of(request.phone, request.contact, now)
    repeat = repeats.exact_repeat(request.phone, request.contact, request.text, now, open_cases)
    if repeat is not None:
        return _append(message, request, repeat, "repeat")
    if request.channel in ("sms", "wechat"):
        earlier = repeats.conversation_case(request.channel, request.phone, request.contact,
                                            now, open_cases)
        if earlier is not None:
            return _append(message, request, earlier, "supplement")
    _new_case(message, request)


def citizen_actor(channel: str) -> Actor:
    """Who a channel's request is registered by, in the timeline: the citizen, via the channel."""
    return Actor.system(f"市民（{LABELS_ZH.get(channel, channel)}）")


def _fit(text: str) -> str:
    """Keep a long text within the case's limit (the raw message keeps all of it)."""
    limit = current_app.config["CONTENT_MAX_CHARS"]
    text = text.strip()
    if len(text) <= limit:
        return text
    note = "…（内容过长已截断，全文见来件原文）"
    return text[:limit - len(note)] + note


def _new_case(message: InboundMessage, request: Request) -> Case:
    ref = f"inbound:{message.id}"
    new = cases.NewCase(
        content=_fit(request.text) or "（无文字内容，见附件）", channel=request.channel,
        title=(request.title or "")[:200] or None, citizen_name=(request.name or "")[:100] or None,
        citizen_phone=request.phone, citizen_contact=request.contact, address=request.address,
        request_type=request.request_type, external_ref=ref)
    kept = [storage.keep(upload, message_id=message.id) for upload in request.uploads]

    def finish(case: Case) -> None:
        _link_attachments(message, request, kept, case)
        _finish(message, CASE, case, ack_text(case, request.channel), request)

    with in_commit_of(lambda session: finish(registered_case(session, ref))):
        case = cases.register_case(citizen_actor(request.channel), new)
    if request.channel in AUTO_DISPATCH:
        auto_dispatch(case)
    return case


def registered_case(session, external_ref: str) -> Case:
    """The case ``register_case`` is committing, found by its external reference (flushed
    first, so it has its id and number)."""
    session.flush()
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Case) and obj.external_ref == external_ref:
            return obj
    raise RuntimeError(f"registered case {external_ref} not found in the session")


def _link_attachments(message: InboundMessage, request: Request, kept: list[Attachment],
                      case: Case) -> None:
    for row in kept:
        row.case_id = case.id
    if request.kept_attachment_ids:
        db.session.execute(update(Attachment).where(
            Attachment.id.in_(request.kept_attachment_ids)).values(case_id=case.id)
            .execution_options(synchronize_session=False))


def _append(message: InboundMessage, request: Request, case: Case, action: str) -> None:
    kept = [storage.keep(upload, message_id=message.id, case_id=case.id)
            for upload in request.uploads]
    _link_attachments(message, request, kept, case)
    cases.record(case, citizen_actor(request.channel), action, from_status=case.status,
                 note=_fit(request.text), public=True,
                 data={"channel": request.channel, "message": message.id,
                       "attachments": len(kept) + len(request.kept_attachment_ids)})
    if action == "repeat":
        text = (f"【12345热线】您反映的问题已在办理中（工单号 {case.number}），"
                "本次来信已并入该工单，无需重复反映。")
    else:
        text = f"【12345热线】您补充的内容已加入工单 {case.number}。"
    _finish(message, APPENDED, case, text, request)
    db.session.commit()


def _answer_query(message: InboundMessage, request: Request) -> None:
    number = request.query_case
    case = db.session.scalars(select(Case).where(Case.number == number)).first()
    citizen = case.citizen if case is not None else None
    owned = citizen is not None and (
        (request.phone and citizen.phone == request.phone)
        or (request.contact and citizen.contact == request.contact))
    if not owned:
        text = f"【12345热线】未找到工单 {number}，或该工单不是用本号码反映的。"
        _finish(message, ANSWERED, None, text, request)
    else:
        _finish(message, ANSWERED, case, status_text(case), request)
    db.session.commit()


def status_text(case: Case) -> str:
    """The status of a case in one message for the citizen."""
    parts = [f"【12345热线】工单 {case.number} 当前状态：{LABELS_ZH[case.status.value]}"]
    if case.department is not None:
        parts.append(f"，承办单位：{case.department.name}")
    if case.answer and case.status in (CaseStatus.REPLIED, CaseStatus.CLOSED):
        answer = case.answer if len(case.answer) <= 120 else case.answer[:120] + "…"
        parts.append(f"。办理结果：{answer}")
    return "".join(parts) + "。"


def _rate(message: InboundMessage, request: Request) -> None:
    sender = or_(*(condition for condition in (
        Citizen.phone == request.phone if request.phone else None,
        Citizen.contact == request.contact if request.contact else None)
        if condition is not None))
    case = db.session.scalars(
        select(Case).join(Citizen, Case.citizen_id == Citizen.id)
        .where(sender, Case.status == CaseStatus.REPLIED, Case.satisfaction.is_(None))
        .order_by(Case.replied_at.desc(), Case.id.desc()).limit(1)).first()
    if case is None:
        raise Conflict("收到评价回复「{text}」，但该号码没有待评价的工单", text=request.text[:20])
    value = RATINGS[request.rating]
    text = f"【12345热线】感谢您的评价（{LABELS_ZH[value.value]}）。"
    if value == Satisfaction.DISSATISFIED:
        text += "我们将重新办理您反映的问题。"
    with in_commit_of(lambda session: _finish(message, ANSWERED, case, text, request)):
        cases.rate(case, value, None, actor=citizen_actor(request.channel))


def ack_text(case: Case, channel: str) -> str:
    """The acknowledgement a citizen gets for a new case: its number and query code."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    text = (f"【12345热线】您的诉求已受理，工单号 {case.number}，查询码 {case.query_code}。"
            f"查询进度：{base}/track?number={case.number}&code={case.query_code}")
    if channel in ("sms", "wechat"):
        text += f"，或回复“查询 {case.number}”。"
    return text


def _finish(message: InboundMessage, status: str, case: Case | None, reply: str | None,
            request: Request | None, *, handled_by: int | None = None,
            note: str | None = None) -> None:
    """Record the outcome on the message (only if it is still ours) and queue the answer."""
    expected = REVIEW if handled_by is not None else PROCESSING
    values: dict[str, Any] = {"status": status, "case_id": case.id if case else None,
                              "reply": reply, "processed_at": utcnow(), "reason": None}
    if handled_by is not None:
        values.update(handled_by_id=handled_by, handled_note=note)
        values.pop("reason")
    result = db.session.execute(
        update(InboundMessage).where(InboundMessage.id == message.id,
                                     InboundMessage.status == expected)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该来件已被他人处理")
    if reply and request is not None and not request.passive:
        _send(message, request, reply, case)


def _send(message: InboundMessage, request: Request, text: str, case: Case | None) -> None:
    """Answer on the channel the message came from (the outbox delivers it)."""
    recipient = request.reply_to
    channel = {"sms": "sms", "wechat": "wechat", "email": "email"}.get(request.channel)
    if not recipient or channel is None:
        return
    subject = None
    if channel == "email":
        title = request.title or "您的来信"
        subject = f"Re: {title}" + (f" [工单号 {case.number}]" if case is not None else "")
    outbox.enqueue(channel, recipient, text, subject=subject[:200] if subject else None,
                   template="intake_reply",
                   data={"number": case.number if case else None, "message": message.id},
                   idempotency_key=f"intake:{message.id}:reply",
                   case_id=case.id if case else None)


@contextlib.contextmanager
def in_commit_of(callback: Callable[[Any], None]) -> Iterator[None]:
    """Run ``callback(session)`` inside the next commit of this session, so what it writes
    (the message's outcome, the answer in the outbox) lands in the same transaction as the
    case change a service function commits itself (``register_case``, ``rate``)."""
    session = db.session()
    fired: list[bool] = []

    def listener(sess) -> None:
        if not fired:
            fired.append(True)
            callback(sess)

    event.listen(session, "before_commit", listener)
    try:
        yield
    finally:
        event.remove(session, "before_commit", listener)
    if not fired:
        raise RuntimeError("the service did not commit")


def auto_dispatch(case: Case) -> None:
    """Let the classifier dispatch a new case when the suggestions module is installed;
    otherwise (or if it fails) the case stays registered for an agent."""
    try:
        from hotline.services import suggestions

        dispatch = suggestions.auto_dispatch
    except (ImportError, AttributeError):
        return
    try:
        dispatch(case)
    except Exception:  # noqa: BLE001 - the case is registered; agents take it from here
        db.session.rollback()
        log.exception("auto-dispatch of case %s failed; left for agents", case.number)


# ---------------------------------------------------------------- review queue


def review_queue(limit: int = 100) -> list[InboundMessage]:
    """Messages waiting for a person, oldest first."""
    return list(db.session.scalars(
        select(InboundMessage).where(InboundMessage.status == REVIEW)
        .order_by(InboundMessage.id).limit(limit)))


def waiting(now: datetime | None = None, older_than: timedelta = timedelta(minutes=2),
            limit: int = 100) -> list[InboundMessage]:
    """Messages stored but not yet processed for a while (no worker, or one that died)."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(InboundMessage).where(InboundMessage.status.in_((RECEIVED, PROCESSING)),
                                     InboundMessage.received_at <= now - older_than)
        .order_by(InboundMessage.id).limit(limit)))


def recently_handled(limit: int = 20) -> list[InboundMessage]:
    """The last messages people took out of the review queue."""
    return list(db.session.scalars(
        select(InboundMessage).where(InboundMessage.handled_by_id.is_not(None))
        .order_by(InboundMessage.processed_at.desc(), InboundMessage.id.desc()).limit(limit)))


def status_counts() -> dict[str, int]:
    """How many messages are in each status."""
    rows = db.session.execute(select(InboundMessage.status, func.count())
                              .group_by(InboundMessage.status)).all()
    return {status: count for status, count in rows}


def review_count() -> int:
    """Messages in the review queue (for the navigation badge)."""
    return db.session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.status == REVIEW)) or 0


def get_message(message_id: int) -> InboundMessage:
    """A stored message, or NotFound."""
    message = db.session.get(InboundMessage, message_id)
    if message is None:
        raise NotFound("来件 {id} 不存在", id=message_id)
    return message


def raw_text(message: InboundMessage) -> str:
    """The stored payload as text, for a person to read (never rendered as markup)."""
    return message.payload.decode("utf-8", "replace")


def review_defaults(message: InboundMessage) -> dict[str, str]:
    """What the "make a case" form starts with: whatever can be recovered from the message."""
    form = {"content": message.summary or clean_text(_raw_preview(message.payload)),
            "title": "", "name": "", "phone": "", "address": "", "type": ""}
    if message.channel in ("sms", "mailbox") and message.sender:
        form["phone"] = message.sender
    if message.channel == "mailbox":
        with contextlib.suppress(ValueError, KeyError, TypeError):
            data = json.loads(message.payload)
            form.update({k: data.get(k) or "" for k in ("title", "name", "address", "type")})
            form["content"] = data.get("content") or form["content"]
    return form


def case_from_review(actor: Actor, message_id: int, fields: dict[str, Any]) -> Case:
    """An agent makes a case of a queued message; the citizen is answered on its channel."""
    message = get_message(message_id)
    if message.status != REVIEW:
        raise Conflict("该来件已被他人处理")
    request = Request(channel=message.channel, text=str(fields.get("content") or ""),
                      reply_to=message.sender if message.channel in ("sms", "wechat", "email")
                      else None, title=fields.get("title"))
    contact = message.sender if message.channel in ("wechat", "email") else None
    ref = f"inbound:{message.id}"
    new = cases.NewCase(
        content=fields.get("content"), channel=message.channel, title=fields.get("title"),
        citizen_name=fields.get("name"), citizen_phone=fields.get("phone"),
        citizen_contact=contact, address=fields.get("address"),
        request_type=fields.get("type") or None, category=fields.get("category") or None,
        department=fields.get("department") or None, external_ref=ref)

    def finish(session) -> None:
        case = registered_case(session, ref)
        db.session.execute(update(Attachment).where(Attachment.message_id == message.id)
                           .values(case_id=case.id)
                           .execution_options(synchronize_session=False))
        _finish(message, CASE, case, ack_text(case, message.channel), request,
                handled_by=actor.user_id, note=None)

    try:
        with in_commit_of(finish):
            case = cases.register_case(actor, new)
    except IntegrityError:  # another agent's case from this message holds its reference
        raise Conflict("该来件已被他人处理") from None
    db.session.refresh(message)
    return case


def discard(actor: Actor, message_id: int, reason: Any) -> InboundMessage:
    """An agent discards a queued message, saying why (kept, never deleted)."""
    note = required_text(reason, "reason", max_chars=500)
    message = get_message(message_id)
    result = db.session.execute(
        update(InboundMessage).where(InboundMessage.id == message_id,
                                     InboundMessage.status == REVIEW)
        .values(status=DISCARDED, handled_by_id=actor.user_id, handled_note=note,
                processed_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("该来件已被他人处理")
    db.session.commit()
    db.session.refresh(message)
    return message


def retry(message_id: int) -> InboundMessage:
    """Process a queued or stuck message again (after a fix, or when no worker ran)."""
    message = get_message(message_id)
    now = utcnow()
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == message_id,
               or_(InboundMessage.status.in_((REVIEW, RECEIVED)),
                   and_(InboundMessage.status == PROCESSING,
                        InboundMessage.claimed_at <= now - timedelta(minutes=2))))
        .values(status=PROCESSING, claimed_at=now, attempts=InboundMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if result.rowcount != 1:
        raise Conflict("该来件已被他人处理")
    process(message_id, claimed=True)
    db.session.refresh(message)
    return message
