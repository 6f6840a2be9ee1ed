"""Telling the citizen each step of their case, on the channel they came from.

Registration (number, query code, link), dispatch (which department), an approved extension
(the new date), the reply (the answer, or its first part, with the link), reopening and
closing each become one outbox message: SMS to a mobile number, WeChat to the openid, e-mail
to the address (:func:`hotline.services.followup.survey_method` decides, as for the survey).

:func:`note` is called for every case event as :func:`hotline.services.cases.record` writes
it; the messages are written just before the transaction commits (as the webhook pushes
are), when the case has its number and the event its id, so a message exists if and only if
the change was committed, and once per event (the outbox key is the event's id). Admins turn
each kind on or off per channel and edit its Chinese and English texts
(:class:`~hotline.models.NoticeSetting`). Each message is written in the citizen's language
(``Case.language``). SMS other than the registration falls silent in the quiet hours and is
sent when they end (:func:`hotline.services.outbox.quiet_until`).
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import event as orm_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from hotline.channels import mailthread
from hotline.errors import InvalidInput, NotFound
from hotline.extensions import db
from hotline.gateways import mask_recipient
from hotline.i18n import catalogue
from hotline.models import (
    Case,
    CaseAction,
    CaseEvent,
    Channel,
    NoticeKind,
    NoticeSetting,
    OutboxMessage,
    utcnow,
)
from hotline.services import followup, freshness, links, outbox
from hotline.services.validation import required_text

log = logging.getLogger(__name__)
K = NoticeKind
A = CaseAction
_PENDING = "hotline.citizen_notices"
_RATED = "hotline.citizen_notices.rated"  # cases the citizen rated in this transaction
CHANNELS = ("sms", "wechat", "email")
#: the channels a citizen is written to (the staff timeline lists these messages)
CITIZEN_CHANNELS = (*CHANNELS, "console")
TEXT_MAX = 1000
SHORT_ANSWER = 100  # characters of the answer an SMS or WeChat message carries

KIND_OF_ACTION: dict[CaseAction, NoticeKind] = {
    A.REGISTER: K.REGISTERED,
    A.DISPATCH: K.DISPATCHED,
    A.APPROVE_EXTENSION: K.EXTENDED,
    A.REPLY: K.REPLIED,
    A.RESOLVE: K.REPLIED,  # answered directly: the answer is what the citizen needs
    A.REOPEN: K.REOPENED,
    A.CLOSE: K.CLOSED,
    A.MERGE: K.MERGED,
}
#: the citizen's own rating already answered them where they rated (page or message)
_CITIZEN_CAUSED = (K.REOPENED, K.CLOSED)
#: these channels' intake answers a new case with its number and query code already
#: (hotline.services.intake.replies.ack_text): no second registration message
_ACKNOWLEDGED_BY_INTAKE = (Channel.SMS, Channel.WECHAT, Channel.EMAIL)

PLACEHOLDERS = ("number", "code", "link", "title", "department", "deadline", "answer", "into")
#: kinds that answer the citizen's own request as it is registered: sent at once, even in
#: the SMS quiet hours (every later message waits for them to end)
_ANSWERS_NOW = (K.REGISTERED, K.DISPATCHED_AT_ONCE)
_REGISTERED_NOW = "hotline.citizen_notices.registered"  # case -> its registration message

DEFAULT_TEXTS: dict[NoticeKind, tuple[str, str]] = {
    K.REGISTERED: (
        "【12345热线】您的诉求已受理，工单号 {number}，查询码 {code}。查询进度：{link}",
        "[12345 Hotline] Your request is registered: case {number}, query code {code}. "
        "Follow it at {link}"),
    K.DISPATCHED: (
        "【12345热线】您的工单 {number} 已转交{department}办理。查询进度：{link}",
        "[12345 Hotline] Case {number} has been passed to {department}. Follow it at {link}"),
    K.EXTENDED: (
        "【12345热线】您的工单 {number} 办理时限已延长至 {deadline}。查询进度：{link}",
        "[12345 Hotline] The deadline of case {number} has been extended to {deadline}. "
        "Follow it at {link}"),
    K.REPLIED: (
        "【12345热线】您的工单 {number} 已由{department}答复：{answer} 查看全文并评价：{link}",
        "[12345 Hotline] {department} has answered case {number}: {answer} "
        "Read it all and rate it at {link}"),
    K.REOPENED: (
        "【12345热线】您的工单 {number} 已重新办理，我们将尽快处理。查询进度：{link}",
        "[12345 Hotline] Case {number} has been reopened and will be handled again. "
        "Follow it at {link}"),
    K.CLOSED: (
        "【12345热线】您的工单 {number} 已办结，感谢您对12345热线的支持。查看详情：{link}",
        "[12345 Hotline] Case {number} is closed. Thank you for contacting 12345. "
        "Details: {link}"),
    K.DISPATCHED_AT_ONCE: (
        "【12345热线】您的诉求已受理，工单号 {number}，查询码 {code}，已转交{department}办理。"
        "查询进度：{link}",
        "[12345 Hotline] Your request is registered: case {number}, query code {code}, "
        "passed to {department}. Follow it at {link}"),
    K.MERGED: (
        "【12345热线】您的工单 {number} 反映的问题与工单 {into} 相同，已并入该工单一并办理，"
        "办理进度和答复请见：{link}",
        "[12345 Hotline] Case {number} reports the same problem as case {into} and has been "
        "merged into it; its progress and answer are at {link}"),
}
SUBJECTS: dict[NoticeKind, tuple[str, str]] = {
    K.REGISTERED: ("已受理", "registered"), K.DISPATCHED: ("已转办", "passed on"),
    K.EXTENDED: ("已延期", "deadline extended"), K.REPLIED: ("已答复", "answered"),
    K.REOPENED: ("重新办理", "reopened"), K.CLOSED: ("已办结", "closed"),
    K.DISPATCHED_AT_ONCE: ("已受理并转办", "registered and passed on"),
    K.MERGED: ("已并单", "merged"),
}


@dataclass(frozen=True)
class Setting:
    """One kind's setting as it applies now: the admin's row, or the shipped default."""

    kind: NoticeKind
    sms: bool
    wechat: bool
    email: bool
    text_zh: str
    text_en: str
    customised: bool = False

    def enabled(self, channel: str) -> bool:
        return bool(getattr(self, channel, False))


# ---------------------------------------------------------------- settings (admins)

def setting_for(kind: NoticeKind) -> Setting:
    """The setting of one kind: the admin's, or the default (every channel on)."""
    return _settings()[kind]


def all_settings() -> list[Setting]:
    """Every kind's setting, in the order of a case's life."""
    settings = _settings()
    return [settings[kind] for kind in NoticeKind]


def _settings() -> dict[NoticeKind, Setting]:
    """Every kind's setting, from a per-process cache kept while no admin changed one
    (:func:`freshness.cached`); every registration reads them."""
    return freshness.cached(freshness.NOTICES, _load_settings)


def _load_settings() -> dict[NoticeKind, Setting]:
    rows = {row.kind: row for row in db.session.scalars(select(NoticeSetting))}
    settings = {}
    for kind in NoticeKind:
        row = rows.get(kind)
        if row is None:
            zh, en = DEFAULT_TEXTS[kind]
            settings[kind] = Setting(kind, True, True, True, zh, en)
        else:
            settings[kind] = Setting(kind, row.sms, row.wechat, row.email, row.text_zh,
                                     row.text_en, True)
    return settings


def update_setting(kind: str, *, sms: bool, wechat: bool, email: bool, text_zh: object,
                   text_en: object) -> Setting:
    """Save an admin's choice for one kind, in the caller's transaction; a text naming an
    unknown placeholder is refused by the field's name."""
    try:
        kind = NoticeKind(kind)
    except ValueError:
        raise NotFound("未知的通知类型：{kind}", kind=kind) from None
    texts = {field: _checked_text(value, field)
             for field, value in (("text_zh", text_zh), ("text_en", text_en))}
    row = db.session.get(NoticeSetting, kind)
    if row is None:
        row = NoticeSetting(kind=kind)
        db.session.add(row)
    row.sms, row.wechat, row.email = bool(sms), bool(wechat), bool(email)
    row.text_zh, row.text_en = texts["text_zh"], texts["text_en"]
    row.updated_at = utcnow()
    return setting_for(kind)


def _checked_text(value: object, field: str) -> str:
    text = required_text(value, field, max_chars=TEXT_MAX)
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise InvalidInput("「{field}」中的花括号不成对", field=field) from None
    unknown = [name for name in names if name not in PLACEHOLDERS]
    if unknown:
        raise InvalidInput("「{field}」中的占位符「{name}」未知，可用：{choices}", field=field,
                           name=unknown[0], choices=", ".join(PLACEHOLDERS))
    return text


# ---------------------------------------------------------------- booking

def note(event: CaseEvent, actor_kind: str) -> None:
    """Note a case event for the citizen; called for every event as it is recorded. The
    message is written when the change is complete (:func:`write_noted`)."""
    if event.action == A.FEEDBACK:  # the close or reopen that follows is the citizen's own
        db.session.info.setdefault(_RATED, set()).add(id(event.case))
        return
    kind = KIND_OF_ACTION.get(event.action)
    if kind is None:
        return
    if kind in _CITIZEN_CAUSED and (actor_kind == "citizen" or id(event.case) in
                                    db.session.info.get(_RATED, ())):
        return
    db.session.info.setdefault(_PENDING, []).append(event)


def write_noted(case: Case) -> None:
    """Write the citizen's message for each event noted on ``case`` in this transaction;
    called once the change is complete (``cases.publish``), when the case has its number
    and final state. Events undone by a rolled-back savepoint are no longer in the
    session and are skipped."""
    noted = db.session.info.get(_PENDING) or []
    mine = [e for e in noted if e.case is case]
    db.session.info[_PENDING] = [e for e in noted if e.case is not case]
    rated = db.session.info.get(_RATED)
    if rated:
        rated.discard(id(case))
    live = [e for e in mine if inspect(e).pending or inspect(e).persistent]
    if not live:
        return
    db.session.flush()
    told = None  # a dispatch the registration's message already tells of
    for noted_event, then in zip(live, [*live[1:], None], strict=True):
        if noted_event is told:
            continue
        # registered and dispatched in one change: one message says both, written once
        at_once = (noted_event.action == A.REGISTER and then is not None
                   and then.action == A.DISPATCH)
        if book(noted_event, dispatched_at_once=at_once) is not None and at_once:
            told = then


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous: SessionTransaction) -> None:
    if not previous.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_RATED, None)
        session.info.pop(_REGISTERED_NOW, None)


@orm_event.listens_for(Session, "after_commit")
def _done(session: Session) -> None:
    session.info.pop(_REGISTERED_NOW, None)


def book(event: CaseEvent, *, dispatched_at_once: bool = False) -> OutboxMessage | None:
    """Queue the citizen's message for one event (once: keyed by the event), or None when
    the kind is off for the citizen's channel or they left no way to reach them.

    A case dispatched in the transaction that registered it gets one message: the
    registration naming the department. ``dispatched_at_once``: the registration event's
    own change dispatched it, so that message is written as such at once; a dispatch later
    in the transaction rewrites the still uncommitted registration message. A channel whose
    intake acknowledgement names the department gets none."""
    case = event.case
    kind = KIND_OF_ACTION[event.action]
    registered_now = db.session.info.setdefault(_REGISTERED_NOW, {})
    if kind == K.REGISTERED:
        registered_now[id(case)] = None
        if case.channel in _ACKNOWLEDGED_BY_INTAKE:
            return None
    elif kind == K.DISPATCHED and id(case) in registered_now:
        earlier = registered_now.pop(id(case))
        if earlier is not None:
            return _combine(earlier, case)
        if case.channel in _ACKNOWLEDGED_BY_INTAKE:
            return None
    method, recipient = followup.survey_method(case)
    if method not in CHANNELS or not recipient:
        return None
    setting = setting_for(kind)
    if not setting.enabled(method):
        return None
    if dispatched_at_once and kind == K.REGISTERED:
        both = setting_for(K.DISPATCHED_AT_ONCE)
        if both.enabled(method):
            registered_now.pop(id(case), None)
            return _enqueue(K.DISPATCHED_AT_ONCE, both, case, method, recipient, event)
    message = _enqueue(kind, setting, case, method, recipient, event)
    if kind == K.REGISTERED:
        registered_now[id(case)] = message
    return message


def _enqueue(kind: NoticeKind, setting: Setting, case: Case, method: str, recipient: str,
             event: CaseEvent) -> OutboxMessage:
    english = english_for(case)
    text = render(setting.text_en if english else setting.text_zh, case, method)
    # the registration answers the citizen's own request now; later steps wait for the day
    answers_now = kind in _ANSWERS_NOW
    hold = None if answers_now else outbox.quiet_until(event.at or utcnow(), method)
    message = outbox.enqueue(method, recipient, text, subject=_subject(kind, case),
                             template="notice",
                             data={"number": case.number, "kind": kind.value,
                                   "event": event.id, "language": _language(case)},
                             idempotency_key=f"notice:{event.id}", case_id=case.id,
                             not_before=hold, reply_now=answers_now, new_key=True)
    log.info("citizen notice %s for case %s by %s%s", kind.value, case.number, method,
             f", held until {hold.isoformat()}" if hold else "")
    return message


def _combine(message: OutboxMessage, case: Case) -> OutboxMessage:
    """Turn the registration message of a case dispatched at once into the one message
    that says both (when admins left that kind on for the channel)."""
    setting = setting_for(K.DISPATCHED_AT_ONCE)
    if not setting.enabled(message.channel):
        return message
    english = english_for(case)
    message.body = render(setting.text_en if english else setting.text_zh, case,
                          message.channel)
    subject = _subject(K.DISPATCHED_AT_ONCE, case)
    message.subject = (mailthread.case_subject(subject, case.number)[:200]
                       if message.channel == "email" else subject)
    message.data = {**(message.data or {}), "kind": K.DISPATCHED_AT_ONCE.value}
    log.info("citizen notice for case %s: registration and dispatch in one message",
             case.number)
    return message


def _subject(kind: NoticeKind, case: Case) -> str:
    english = english_for(case)
    label = SUBJECTS[kind][1 if english else 0]
    return f"Case {case.number}: {label}" if english else f"工单 {case.number} {label}"


def render(text: str, case: Case, method: str) -> str:
    """Fill a notice text with the case's values; an SMS or WeChat message carries the
    first part of a long answer (the link leads to the rest)."""
    return text.format_map(values(case, method))


def values(case: Case, method: str) -> dict[str, str]:
    """The placeholders' values for one case, in the citizen's language (an English
    message names the department by the catalogue's translation of its name)."""
    answer = (case.answer or "").strip()
    if method != "email" and len(answer) > SHORT_ANSWER:
        answer = answer[:SHORT_ANSWER].rstrip() + "…"
    deadline = ""
    if case.handle_deadline is not None:
        deadline = case.handle_deadline.astimezone(_zone()).strftime("%Y-%m-%d %H:%M")
    english = english_for(case)
    if case.department is not None:
        department = (catalogue("en").get(case.department.name, case.department.name)
                      if english else case.department.name)
    else:
        department = "the 12345 hotline" if english else "12345热线"
    return {"number": case.number, "code": case.query_code,
            "link": links.tracking_url(case), "title": case.title or "",
            "department": department, "deadline": deadline, "answer": answer,
            "into": case.merged_into.number if case.merged_into is not None else ""}


def quiet_hours_text() -> str | None:
    """The SMS quiet hours as ``22:00-08:00``, or None when there are none."""
    quiet = current_app.config.get("SMS_QUIET_HOURS")
    return f"{quiet[0]:%H:%M}-{quiet[1]:%H:%M}" if quiet else None


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _language(case: Case) -> str:
    return case.language or str(current_app.config.get("LANGUAGE", "zh_CN"))


def english_for(case: Case) -> bool:
    """Whether the citizen of ``case`` is written to in English: the language recorded
    with the case (the page, chat or message they wrote in), else the deployment's."""
    return _language(case).startswith("en")


# ---------------------------------------------------------------- the staff timeline

@dataclass(frozen=True)
class SentMessage:
    """A message to the citizen as staff see it: the recipient masked, the query code
    hidden from those who may not see it."""

    id: int
    at: datetime
    channel: str
    recipient: str
    body: str
    status: str
    kind: str | None
    event_id: int | None
    sent_at: datetime | None
    next_attempt_at: datetime


def messages_for(case: Case, *, show_code: bool) -> list[SentMessage]:
    """Everything written to the citizen about this case (notices, surveys, intake
    replies), oldest first: the staff timeline shows each under its event."""
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                    OutboxMessage.channel.in_(CITIZEN_CHANNELS))
        .order_by(OutboxMessage.id))
    messages = []
    for row in rows:
        data = row.data or {}
        body = row.body if show_code else row.body.replace(case.query_code, "••••")
        messages.append(SentMessage(
            row.id, row.created_at, row.channel, mask_recipient(row.recipient), body,
            row.status.value, data.get("kind") if row.template == "notice" else row.template,
            data.get("event") if row.template == "notice" else None, row.sent_at,
            row.next_attempt_at))
    return messages
