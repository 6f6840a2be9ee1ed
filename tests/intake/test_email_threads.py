"""E-mail done right, through a real SMTP server (aiosmtpd on 127.0.0.1): answers thread to
the citizen's mail, the subject carries the case number once, automatic mail says so, an
HTML part rides beside the text, and a "1" to the survey rates the case in any client's
quoting style."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller

from hotline.channels import mailthread
from hotline.extensions import db
from hotline.gateways import SmtpGateway
from hotline.models import Case, CaseEvent, CaseStatus, OutboxMessage, Satisfaction
from hotline.services import followup
from hotline.unit_of_work import unit_of_work
from tests.intake.conftest import all_cases, messages
from workflows import delivery
from workflows import mail as mail_jobs

CITIZEN = "zhang.wei@example.cn"
HOTLINE = "12345@hotline.example.gov.cn"


class Inbox:
    """aiosmtpd's handler: keeps every mail the server accepted."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.mails.append(email.message_from_bytes(envelope.original_content,
                                                   policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(app, world) -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.extensions["hotline.gateways"]["email"] = SmtpGateway(
        "127.0.0.1", port=port, sender=HOTLINE, timeout=5)
    try:
        yield inbox
    finally:
        controller.stop()


def send_all() -> None:
    db.session.expire_all()
    for message_id in db.session.scalars(db.select(OutboxMessage.id).where(
            OutboxMessage.status == "pending").order_by(OutboxMessage.id)).all():
        assert delivery.deliver(message_id).outcome == "sent"


def citizen_mail(subject: str, body: str | None, *, answering: EmailMessage | None = None,
                 html: str | None = None) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"张伟 <{CITIZEN}>"
    mail["To"] = HOTLINE
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="example.cn")
    if answering is not None:
        mail["In-Reply-To"] = answering["Message-ID"]
        mail["References"] = " ".join(filter(None, (str(answering.get("References") or ""),
                                                    answering["Message-ID"])))
    if body is None:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(body)
        if html:
            mail.add_alternative(html, subtype="html")
    return mail.as_bytes()


def reply_text(answering: EmailMessage, own: str, style: str) -> tuple[str, str | None]:
    """The citizen's reply as each client writes it: own text above the quoted mail."""
    quoted = answering.get_body(("plain",)).get_content()
    sent = answering["Date"]
    if style == "outlook":
        return (f"{own}\n\n________________________________\n发件人: 12345热线 <{HOTLINE}>\n"
                f"发送时间: {sent}\n收件人: {CITIZEN}\n主题: {answering['Subject']}\n\n"
                f"{quoted}"), None
    if style == "foxmail":
        return (f"{own}\n\n\n------------------ Original ------------------\n"
                f"From:  \"12345热线\"<{HOTLINE}>;\nDate:  {sent}\nTo:  \"张伟\"<{CITIZEN}>;\n"
                f"Subject:  {answering['Subject']}\n\n{quoted}"), None
    if style == "qqmail":
        text = (f"{own}\n\n\n------------------ 原始邮件 ------------------\n"
                f"发件人: \"12345热线\" <{HOTLINE}>;\n发送时间: {sent}\n"
                f"收件人: \"张伟\"<{CITIZEN}>;\n主题: {answering['Subject']}\n\n{quoted}")
        html = (f"<div>{own}</div><div><br></div><div style=\"font-size: 12px\">"
                f"<div>------------------&nbsp;原始邮件&nbsp;------------------</div>"
                f"<div><b>发件人:</b>&nbsp;\"12345热线\" &lt;{HOTLINE}&gt;;</div>"
                f"<div><b>主题:</b>&nbsp;{answering['Subject']}</div></div>"
                f"<div>{quoted}</div>")
        return text, html
    if style == "qqmail_html_only":
        _, html = reply_text(answering, own, "qqmail")
        return None, html.replace("\n", "<br>")
    if style == "gmail":
        quoted_lines = "\n".join(f"> {line}" for line in quoted.splitlines())
        return (f"{own}\n\n12345热线 <{HOTLINE}> 于2026年12月2日周三 10:12写道：\n\n"
                f"{quoted_lines}\n"), None
    if style == "gmail_en":
        quoted_lines = "\n".join(f"> {line}" for line in quoted.splitlines())
        return (f"{own}\n\nOn Wed, Dec 2, 2026 at 10:12 AM 12345 Hotline <{HOTLINE}>\nwrote:\n\n"
                f"{quoted_lines}\n"), None
    raise AssertionError(style)


def replied(case: Case, api) -> Case:
    if case.status == CaseStatus.REGISTERED:
        assert api("agent").act(case.number, "dispatch", department="URBAN").status_code == 200
    db.session.refresh(case)
    department = {"URBAN": "urban", "HOUSING": "housing", "JINJIANG": "jinjiang"}[
        case.department.code]
    assert api(department).act(case.number, "accept").status_code == 200
    assert api(department).act(case.number, "reply",
                               content="经核查，建设路路灯线路老化，已于12月1日更换，现已恢复照明。"
                               ).status_code == 200
    db.session.refresh(case)
    return case


def surveyed(smtp: Inbox, api) -> tuple[Case, EmailMessage]:
    """A case by mail, answered by its department, and the survey the citizen received."""
    mail_jobs.import_mail(citizen_mail("建设路路灯不亮", "建设路与人民路口的路灯坏了。"))
    [case] = all_cases()
    case = replied(case, api)
    with unit_of_work():
        followup.send_survey(db.session.get(Case, case.id), reminder=False)
    send_all()
    return case, smtp.mails[-1]


def test_a_case_by_mail_threads_and_keeps_its_number_once(smtp, api):
    first = citizen_mail("建设路路灯不亮", "建设路与人民路口的路灯已经坏了一个星期，晚上很黑。")
    mail_jobs.import_mail(first)
    [case] = all_cases()
    [message] = messages()
    assert message.mail_message_id == email.message_from_bytes(first)["Message-ID"]
    send_all()
    [ack] = smtp.mails
    assert ack["In-Reply-To"] == message.mail_message_id
    assert ack["References"] == message.mail_message_id
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Subject"].count(case.number) == 1
    assert ack.get_body(("plain",)).get_content().count(case.number) >= 1
    html = ack.get_body(("html",)).get_content()
    assert case.number in html and 'href="http' in html

    # the citizen answers the acknowledgement twice over: the subject stays one number long
    second = citizen_mail(f"Re: {ack['Subject']}", "补充：路口东侧的两盏也不亮。", answering=ack)
    mail_jobs.import_mail(second)
    send_all()
    answer = smtp.mails[-1]
    assert answer["Subject"].count(case.number) == 1 and answer["Subject"].startswith("Re: ")
    assert "Re: Re:" not in answer["Subject"]
    second_id = email.message_from_bytes(second)["Message-ID"]
    assert answer["In-Reply-To"] == second_id
    assert answer["References"].split() == [message.mail_message_id, ack["Message-ID"],
                                             second_id]
    third = citizen_mail(f"回复: {answer['Subject']}", "请尽快处理。", answering=answer)
    mail_jobs.import_mail(third)
    send_all()
    assert smtp.mails[-1]["Subject"].count(case.number) == 1
    assert len(all_cases()) == 1


@pytest.mark.parametrize("style", ["outlook", "foxmail", "qqmail", "qqmail_html_only", "gmail",
                                   "gmail_en"])
@pytest.mark.parametrize(("own", "expected"), [
    ("1", Satisfaction.SATISFIED), ("基本满意", Satisfaction.BASICALLY_SATISFIED),
    ("3\n\n发自我的iPhone", Satisfaction.DISSATISFIED)])
def test_a_reply_to_the_survey_rates_the_case_in_every_client_style(smtp, api, style, own,
                                                                    expected):
    case, survey = surveyed(smtp, api)
    survey_text = survey.get_body(("plain",)).get_content()
    assert "已于12月1日更换" in survey_text  # the department's answer travels with the survey
    assert survey["Subject"].count(case.number) == 1
    text, html = reply_text(survey, own, style)
    mail_jobs.import_mail(citizen_mail(f"Re: {survey['Subject']}", text, answering=survey,
                                       html=html))
    db.session.expire_all()
    feedback = db.session.query(CaseEvent).filter_by(case_id=case.id, action="feedback").one()
    assert feedback.data["satisfaction"] == expected.value  # 3 reopens the case (重办)
    assert db.session.query(CaseEvent).filter_by(case_id=case.id, action="supplement").count() \
        == 0
    assert messages()[-1].status == "answered"


def test_a_real_sentence_in_reply_to_the_survey_is_a_supplement(smtp, api):
    case, survey = surveyed(smtp, api)
    text, _ = reply_text(survey, "路灯修好了1天又坏了", "outlook")
    mail_jobs.import_mail(citizen_mail(f"Re: {survey['Subject']}", text, answering=survey))
    db.session.expire_all()
    assert db.session.get(Case, case.id).satisfaction is None
    assert messages()[-1].status == "appended"


@pytest.mark.parametrize(("subject", "expected"), [
    ("路灯不亮", "路灯不亮 [工单号 20261202000007]"),
    ("Re: 路灯不亮 [工单号 20261202000007]", "Re: 路灯不亮 [工单号 20261202000007]"),
    ("回复: Re: RE: 路灯不亮 [工单号 20261202000007] [工单号 20261202000007]",
     "Re: 路灯不亮 [工单号 20261202000007]"),
    ("答复: Re: 路灯不亮【工单号：20261202000007】", "Re: 路灯不亮 [工单号 20261202000007]"),
    ("工单 20261202000007 办理结果回访", "工单 20261202000007 办理结果回访"),
    (None, "您的来信 [工单号 20261202000007]"),
])
def test_case_subject_carries_the_number_once(subject, expected):
    assert mailthread.case_subject(subject, "20261202000007") == expected


def test_references_are_capped_and_keep_the_first():
    chain = " ".join(f"<m{i}@x>" for i in range(20))
    refs = mailthread.references("<last@x>", chain).split()
    assert len(refs) == mailthread.MAX_REFERENCES and refs[0] == "<m0@x>"
    assert refs[-1] == "<last@x>"
