"""Processing: a stored, claimed message becomes its outcome in the caller's transaction.

The payload is parsed again from the stored bytes and the message becomes a new case, joins
the citizen's case (a reply quoting its number, an exact repeat, a follow-up a few minutes
later), answers a "查询" or a satisfaction rating. The case change, the message's outcome
and the answer in the outbox are one transaction: the caller's. The outcome is set first, by
compare-and-set, so a message another worker or agent has already settled changes nothing.

A failure raises and the caller rolls back; :func:`failure_reason` says what the review
queue shows for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import or_, select, update

from hotline.channels import Attachment as UploadedFile
from hotline.channels import ParseError
from hotline.channels import email as email_channel
from hotline.channels import sms as sms_channel
from hotline.channels import wechat as wechat_channel
from hotline.channels.text import language_of as text_language
from hotline.channels.text import parse_rating
from hotline.errors import Conflict, ServiceError
from hotline.extensions import db
from hotline.models import (
    Attachment,
    Case,
    CaseAction,
    CaseStatus,
    Channel,
    Citizen,
    GeoAccuracy,
    InboundMessage,
    InboundStatus,
    Satisfaction,
    utcnow,
)
from hotline.models.enums import LABELS_ZH
from hotline.services import (
    cases,
    leader_mailboxes,
    places,
    registration,
    repeats,
    signals,
    storage,
    suggestions,
)
from hotline.services.actors import Actor
from hotline.services.intake import replies
from hotline.services.intake.receive import upload_limit
from hotline.services.intake.store import MAX_ATTEMPTS, clip, settle, to_review
from hotline.unit_of_work import after_commit

log = logging.getLogger(__name__)
RATINGS = {1: Satisfaction.SATISFIED, 2: Satisfaction.BASICALLY_SATISFIED,
           3: Satisfaction.DISSATISFIED}
# Channels with no agent on the line (the mayor's mailbox by web and e-mail, and chat): the
# classifier dispatches their cases at once when it is confident, else they wait for agents.
AUTO_DISPATCH = frozenset({Channel.MAILBOX.value, Channel.EMAIL.value, Channel.WECHAT.value,
                           Channel.SMS.value, Channel.WEBCHAT.value})


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
    media: wechat_channel.Media | None = None  # WeChat image or voice, fetched after commit
    mailbox: str | None = None  # a letter to a leader's mailbox: its code
    publish: bool = False  # ... and whether its writer agreed to publish the answer
    language: str | None = None  # the page's language (web form); else read from the text
    reply_to: str | None = field(default=None)  # address for an outbox answer
    position: tuple[float, float] | None = None  # WeChat location: (latitude, longitude)


def process(message_id: int, *, passive: bool = False) -> bool:
    """Turn one claimed message into its outcome in the caller's transaction; False when the
    message is not (or no longer) being processed. Raises when it cannot be handled: the
    caller rolls back and sends it to review with :func:`failure_reason`."""
    message = db.session.get(InboundMessage, message_id)
    if message is None or message.status != InboundStatus.PROCESSING:
        return False
    if message.attempts > MAX_ATTEMPTS:  # it keeps killing its worker: a person looks at it
        to_review(message_id, f"多次处理未能完成 / processing did not finish in "
                              f"{MAX_ATTEMPTS} attempts")
        return True
    request = REQUEST_BUILDERS[message.channel](message)
    request.passive = passive
    if message.summary is None:
        message.summary = clip(request.text)
    _route(message, request)
    return True


def failure_reason(exc: Exception) -> str:
    """What the review queue says about a message whose processing raised ``exc``."""
    if isinstance(exc, ParseError):
        return exc.reason
    if isinstance(exc, ServiceError):
        params = {"field": LABELS_ZH.get(exc.field or "", exc.field), **exc.params}
        try:
            return exc.message.format(**params)
        except (KeyError, IndexError):
            return exc.message
    return f"处理出错 / processing failed: {exc!r}"[:2000]


def citizen_actor(channel: str) -> Actor:
    """Who a channel's request is registered by, in the timeline: the citizen, via the channel."""
    return Actor.system(f"市民（{LABELS_ZH.get(channel, channel)}）")


def auto_dispatch(case: Case) -> None:
    """Let the classifier dispatch a new case; if it fails the case stays registered for an
    agent (the suggestion service undoes its own part)."""
    try:
        suggestions.auto_dispatch(case)
    except Exception:  # noqa: BLE001 - the case is registered; agents take it from here
        log.exception("auto-dispatch of case %s failed; left for agents", case.number)


def conclude(message_id: int, request: Request, case: Case | None, reply: str | None) -> None:
    """Link a settled message to its case, keep its answer, and queue the answer on the
    channel (a WeChat answer goes back in the HTTP response instead)."""
    db.session.execute(
        update(InboundMessage).where(InboundMessage.id == message_id)
        .values(case_id=case.id if case else None, reply=reply)
        .execution_options(synchronize_session=False))
    if reply and not request.passive:
        replies.send(message_id, request.channel, request.reply_to, reply, case,
                     title=request.title)


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
                   rating=rating, media=wechat_channel.media_of(message.payload),
                   position=parsed.position)


def _email_request(message: InboundMessage) -> Request:
    parsed = email_channel.parse_email(message.payload, max_attachment_bytes=upload_limit())
    return Request(channel="email", text=parsed.text or parsed.title or "", title=parsed.title,
                   contact=parsed.sender, name=parsed.sender_name, reply_to=parsed.sender,
                   uploads=parsed.attachments, reply_to_case=parsed.reply_to_case,
                   rating=parsed.rating)


def _mailbox_request(message: InboundMessage) -> Request:
    data = json.loads(message.payload)
    kept = tuple(db.session.scalars(select(Attachment.id).where(
        Attachment.message_id == message.id).order_by(Attachment.id)))
    return Request(channel="mailbox", text=data["content"], title=data.get("title"),
                   phone=data.get("phone"), name=data.get("name"), address=data.get("address"),
                   request_type=data.get("type"), kept_attachment_ids=kept,
                   mailbox=data.get("mailbox"), publish=bool(data.get("publish")),
                   language=data.get("language"))


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
        target = _rating_target(request)
        # A "1" mailed about a case that waits for no rating is an ordinary supplement.
        if target is not None or request.channel != Channel.EMAIL:
            return _rate(message, request, target)
    if request.reply_to_case:
        case = db.session.scalars(select(Case).where(
            Case.number == request.reply_to_case)).first()
        if case is not None:
            return _append(message, request, case, CaseAction.SUPPLEMENT)
    open_cases = repeats.open_cases_of(request.phone, request.contact, now)
    repeat = repeats.exact_repeat(request.phone, request.contact, request.text, now, open_cases)
    if repeat is not None:
        return _append(message, request, repeat, CaseAction.REPEAT)
    if request.channel in ("sms", "wechat"):
        earlier = repeats.conversation_case(request.channel, request.phone, request.contact,
                                            now, open_cases)
        if earlier is not None:
            return _append(message, request, earlier, CaseAction.SUPPLEMENT)
    _new_case(message, request)


def _fit(text: str) -> str:
    """Keep a long text within the case's limit (the raw message keeps all of it)."""
    limit = current_app.config["CONTENT_MAX_CHARS"]
    text = text.strip()
    if len(text) <= limit:
        return text
    note = "…（内容过长已截断，全文见来件原文）"
    return text[:limit - len(note)] + note


def _new_case(message: InboundMessage, request: Request) -> None:
    message_id = message.id
    new = registration.NewCase(
        content=_fit(request.text) or "（无文字内容，见附件）", channel=request.channel,
        title=(request.title or "")[:200] or None, citizen_name=(request.name or "")[:100] or None,
        citizen_phone=request.phone, citizen_contact=request.contact, address=request.address,
        request_type=request.request_type, external_ref=f"inbound:{message_id}",
        position=request.position,
        language=request.language or text_language(request.text))
    settle(message_id, InboundStatus.CASE, reason=None)
    kept = [storage.keep(upload, message_id=message_id) for upload in request.uploads]
    actor = citizen_actor(request.channel)
    case = registration.register_case(actor, new)
    mailbox = leader_mailboxes.find(request.mailbox) if request.mailbox else None
    if mailbox is not None:  # a leader's mailbox: its office reads the letter first
        leader_mailboxes.address_letter(case, mailbox, publish=request.publish, actor=actor)
    elif request.channel in AUTO_DISPATCH:
        auto_dispatch(case)
    _link_attachments(case, kept, request.kept_attachment_ids)
    _fetch_media_later(message_id, request)
    conclude(message_id, request, case, replies.ack_text(case, request.channel))


def _fetch_media_later(message_id: int, request: Request) -> None:
    """A WeChat image or voice is fetched by a job once the case is committed (the platform
    keeps it 3 days; the push must be answered within 5 seconds)."""
    if request.media is not None:
        # the database remembers it (the sweep queues it again if Redis forgets the job)
        db.session.execute(update(InboundMessage).where(InboundMessage.id == message_id)
                           .values(media_due_at=utcnow())
                           .execution_options(synchronize_session=False))
        after_commit(signals.media_waiting.send, message_id, key=f"media:{message_id}")


def _link_attachments(case: Case, kept: list[Attachment], ids: tuple[int, ...]) -> None:
    """Give the case the files just kept from the message and those stored with it before."""
    for row in kept:
        row.case_id = case.id
    if ids:
        db.session.execute(update(Attachment).where(Attachment.id.in_(ids))
                           .values(case_id=case.id).execution_options(synchronize_session=False))


def _append(message: InboundMessage, request: Request, case: Case,
            action: CaseAction) -> None:
    message_id = message.id
    settle(message_id, InboundStatus.APPENDED, reason=None)
    kept = [storage.keep(upload, message_id=message_id, case_id=case.id)
            for upload in request.uploads]
    _link_attachments(case, [], request.kept_attachment_ids)
    _fetch_media_later(message_id, request)
    data = {"channel": request.channel, "message": message_id,
            "attachments": len(kept) + len(request.kept_attachment_ids)}
    if request.position is not None and case.geo_accuracy != GeoAccuracy.EXACT:
        # the citizen sent where it is: the case moves there on the map
        places.place_case(case, places.at(*request.position))
        data["position"] = [case.lat, case.lon]
    cases.record(case, citizen_actor(request.channel), action, from_status=case.status,
                 note=_fit(request.text), public=True, data=data)
    cases.publish(case)
    conclude(message_id, request, case, replies.appended_text(case, action))


def _answer_query(message: InboundMessage, request: Request) -> None:
    number = request.query_case
    case = db.session.scalars(select(Case).where(Case.number == number)).first()
    citizen = case.citizen if case is not None else None
    owned = citizen is not None and (
        (request.phone and citizen.phone == request.phone)
        or (request.contact and citizen.contact == request.contact))
    settle(message.id, InboundStatus.ANSWERED, reason=None)
    if not owned:
        conclude(message.id, request, None, replies.unknown_case_text(number))
    else:
        conclude(message.id, request, case, replies.status_text(case))


def _rating_target(request: Request) -> Case | None:
    """The sender's replied, unrated case a rating is for (the one a mail answers, else the
    latest replied)."""
    sender = or_(*(condition for condition in (
        Citizen.phone == request.phone if request.phone else None,
        Citizen.contact == request.contact if request.contact else None)
        if condition is not None))
    waiting = (select(Case).join(Citizen, Case.citizen_id == Citizen.id)
               .where(sender, Case.status == CaseStatus.REPLIED, Case.satisfaction.is_(None)))
    if request.reply_to_case:  # a mail answering one case's survey rates that case
        waiting = waiting.where(Case.number == request.reply_to_case)
    return db.session.scalars(
        waiting.order_by(Case.replied_at.desc(), Case.id.desc()).limit(1)).first()


def _rate(message: InboundMessage, request: Request, case: Case | None) -> None:
    message_id = message.id
    if case is None:
        raise Conflict("收到评价回复「{text}」，但该号码没有待评价的工单", text=request.text[:20])
    value = RATINGS[request.rating]
    settle(message_id, InboundStatus.ANSWERED, reason=None)
    cases.rate(case, value, None, actor=citizen_actor(request.channel))
    conclude(message_id, request, case, replies.rating_text(value))
