"""The satisfaction follow-up (回访): ask the citizen on the channel they came from, in
their language; an SMS waits out the quiet hours (the outbox holds it).

A survey goes by WeChat to an openid, by e-mail to an address, by SMS to a mobile number;
a phone case with no mobile number goes on the agents' call list instead. Messages leave
through the outbox, keyed so a repeated job never sends one twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from hotline import phones
from hotline.extensions import db
from hotline.i18n import catalogue
from hotline.models import Case, CaseStatus, Channel
from hotline.services import links, outbox


def _natural(setting: str) -> timedelta:
    duration = current_app.config[setting]
    return {"m": timedelta(minutes=1), "h": timedelta(hours=1),
            "d": timedelta(days=1)}[duration.unit] * duration.amount


def on_reply(case: Case, now: datetime) -> None:
    """Start the follow-up clock when a department replies."""
    case.followup_due_at = now
    case.followup_expire_at = now + _natural("FOLLOWUP_WINDOW")
    case.followup_sent_at = case.followup_remind_at = case.followup_reminded_at = None


def remind_at(sent_at: datetime) -> datetime:
    return sent_at + _natural("FOLLOWUP_REMIND_AFTER")


def survey_method(case: Case) -> tuple[str, str | None]:
    """How to reach the citizen, and at which address: (sms|wechat|email|call_list|none, to)."""
    citizen = case.citizen
    contact = (citizen.contact or "") if citizen else ""
    phone = (citizen.phone or "") if citizen else ""
    if case.channel == Channel.WECHAT and contact:
        return "wechat", contact
    if case.channel in (Channel.EMAIL, Channel.MAILBOX) and "@" in contact:
        return "email", contact
    if phones.mobile(phone):
        return "sms", phones.mobile(phone)
    if "@" in contact:
        return "email", contact
    if case.channel == Channel.PHONE and phone:
        return "call_list", phone
    return "none", None


#: how much of the department's answer a short message (SMS, WeChat) carries
SHORT_ANSWER_CHARS = 120


def survey_text(case: Case, *, reminder: bool, method: str = "sms") -> str:
    """The survey: the department's answer (all of it by e-mail, its start elsewhere, the
    link shows the rest) and how to rate it."""
    link = links.tracking_url(case)
    opening = "【12345热线】提醒：" if reminder else "【12345热线】"
    answer = " ".join((case.answer or "").split()) if method != "email" else \
        (case.answer or "").strip()
    if method != "email" and len(answer) > SHORT_ANSWER_CHARS:
        answer = answer[:SHORT_ANSWER_CHARS] + "…"
    if case.language == "en":
        return _survey_text_en(case, reminder=reminder, method=method, answer=answer)
    department = case.department.name if case.department is not None else "承办单位"
    told = f"\n\n{department}的答复：\n{answer}\n\n" if method == "email" else \
        f"{department}答复：{answer.rstrip('。.')}。" if answer else ""
    return (f"{opening}您反映的问题已办理答复（工单号 {case.number}，查询码 {case.query_code}）。"
            f"{told}"
            f"请回复数字评价：1 满意，2 基本满意，3 不满意；或访问 {link} 查看并评价。")


def _survey_text_en(case: Case, *, reminder: bool, method: str, answer: str) -> str:
    """The survey for a citizen who wrote in English."""
    opening = "[12345 Hotline] Reminder: " if reminder else "[12345 Hotline] "
    department = (catalogue("en").get(case.department.name, case.department.name)
                  if case.department is not None else "The department")
    told = "" if not answer else (f"\n\n{department} answered:\n{answer}\n\n"
                                  if method == "email" else f"{department} answered: {answer} ")
    return (f"{opening}Your request has been answered (case {case.number}, query code "
            f"{case.query_code}). {told}"
            f"Please reply with a number: 1 satisfied, 2 basically satisfied, 3 not "
            f"satisfied; or read and rate it at {links.tracking_url(case)}")


def send_survey(case: Case, *, reminder: bool) -> str:
    """Queue the survey (or its reminder) for the citizen; returns the method used."""
    method, recipient = survey_method(case)
    if method in ("call_list", "none") or recipient is None:
        return method
    kind = "reminder" if reminder else "survey"
    outbox.enqueue(method, recipient, survey_text(case, reminder=reminder, method=method),
                   subject=(f"Case {case.number}: how was it handled?"
                            if case.language == "en" else f"工单 {case.number} 办理结果回访"),
                   template="followup",
                   data={"number": case.number, "code": case.query_code, "kind": kind},
                   idempotency_key=f"followup:{case.id}:{case.reopen_count}:{kind}",
                   case_id=case.id)
    return method


def call_list(limit: int = 100) -> list[Case]:
    """Replied phone cases whose citizen has no mobile: agents call them to ask."""
    candidates = db.session.scalars(
        select(Case).where(Case.status == CaseStatus.REPLIED, Case.followup_sent_at.is_not(None))
        .order_by(Case.followup_sent_at).limit(limit * 5))
    return [c for c in candidates if survey_method(c)[0] == "call_list"][:limit]
