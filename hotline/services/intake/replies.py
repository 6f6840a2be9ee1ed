"""What a citizen is answered on the channel they wrote from, and how: the texts (number and
query code, status, rating thanks) and the outbox message, in the caller's transaction."""

from __future__ import annotations

from hotline.i18n import catalogue
from hotline.models import Case, CaseAction, CaseStatus, Channel, Satisfaction
from hotline.models.enums import LABELS_ZH
from hotline.services import links, outbox

REPLY_CHANNELS = (Channel.SMS, Channel.WECHAT, Channel.EMAIL)


def ack_text(case: Case, channel: str) -> str:
    """The acknowledgement a citizen gets for a new case, in their language: its number
    and query code, and the department when it was dispatched at once (no second message
    then says so)."""
    department = case.department.name if case.status == CaseStatus.DISPATCHED \
        and case.department is not None else None
    link = links.tracking_url(case)
    if case.language == "en":
        passed = f", passed to {catalogue('en').get(department, department)}" \
            if department else ""
        text = (f"[12345 Hotline] Your request is registered: case {case.number}, query code "
                f"{case.query_code}{passed}. Follow it at {link}")
        if channel in (Channel.SMS, Channel.WECHAT):
            text += f" or reply \"查询 {case.number}\"."
        return text
    passed = f"，已转交{department}办理" if department else ""
    text = (f"【12345热线】您的诉求已受理，工单号 {case.number}，查询码 {case.query_code}"
            f"{passed}。查询进度：{link}")
    if channel in (Channel.SMS, Channel.WECHAT):
        text += f"，或回复“查询 {case.number}”。"
    return text


def status_text(case: Case) -> str:
    """The status of a case in one message for the citizen."""
    parts = [f"【12345热线】工单 {case.number} 当前状态：{LABELS_ZH[case.status.value]}"]
    if case.department is not None:
        parts.append(f"，承办单位：{case.department.name}")
    if case.answer and case.status in (CaseStatus.REPLIED, CaseStatus.CLOSED):
        answer = case.answer if len(case.answer) <= 120 else case.answer[:120] + "…"
        parts.append(f"。办理结果：{answer}")
    return "".join(parts) + "。"


def unknown_case_text(number: str) -> str:
    """The answer to a query about a case that is not the sender's (or does not exist)."""
    return f"【12345热线】未找到工单 {number}，或该工单不是用本号码反映的。"


def appended_text(case: Case, action: CaseAction) -> str:
    """The answer to a message that joined an open case: a repeat, or a supplement."""
    if action == CaseAction.REPEAT:
        return (f"【12345热线】您反映的问题已在办理中（工单号 {case.number}），"
                "本次来信已并入该工单，无需重复反映。")
    return f"【12345热线】您补充的内容已加入工单 {case.number}。"


def rating_text(value: Satisfaction) -> str:
    """The thanks for a satisfaction rating; a dissatisfied one says the case is reopened."""
    text = f"【12345热线】感谢您的评价（{LABELS_ZH[value.value]}）。"
    if value == Satisfaction.DISSATISFIED:
        text += "我们将重新办理您反映的问题。"
    return text


def send(message_id: int, channel: str, recipient: str | None, text: str, case: Case | None,
         *, title: str | None = None) -> None:
    """Answer on the channel the message came from (the outbox delivers it after commit);
    once per message, whatever retries happen."""
    if not recipient or channel not in REPLY_CHANNELS:
        return
    subject = None
    if channel == Channel.EMAIL:
        subject = f"Re: {title or '您的来信'}" + (
            f" [工单号 {case.number}]" if case is not None else "")
    outbox.enqueue(channel, recipient, text, subject=subject[:200] if subject else None,
                   template="intake_reply",
                   data={"number": case.number if case else None, "message": message_id},
                   idempotency_key=f"intake:{message_id}:reply",
                   case_id=case.id if case else None, reply_now=True)
