"""Inbound e-mail: every Chinese encoding, auto-replies ignored, replies join their case, the
raw .eml archived, the sender answered; by `hotline mail import` and by the IMAP poller."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.extensions import db
from hotline.models import Attachment, Case, CaseEvent
from hotline.services import storage
from tests.intake.conftest import SAMPLES, all_cases, messages, outbox_to, sample
from workflows import mail as mail_jobs

EML = SAMPLES / "email"


@pytest.mark.parametrize(("name", "title", "fragment"), [
    ("gb2312_base64_gbk_body.eml", "关于幸福里小区楼下烧烤摊油烟噪音扰民的投诉（张喆、王堃）",
     "邻居王堃家的老人"),
    ("gb18030_qp.eml", "人行道被共享单车堵塞（𠮷野家门口）", "吉祥路“𠮷野家”门口"),
    ("utf8_plain.eml", "建设路人民路口红绿灯故障", "红绿灯"),
    ("no_charset_gbk.eml", "东风路垃圾站无人清运", "垃圾站三天没人清运"),
    ("no_charset_utf8.eml", None, "公园里的健身器材坏了"),
    ("qq_html_only.eml", None, None),
    ("netease_alternative.eml", "和平街小学门口井盖丢失", "井盖丢失"),
    ("forward_inline.eml", "关于电梯维修", "物业一直推脱"),
    ("forward_as_attachment.eml", "楼道杂物清理通知", "请业主于本周内清理楼道杂物"),
    ("broken_truncated.eml", "下水道堵塞", "下水道堵塞，污水漫到路面上"),
])
def test_each_chinese_mail_encoding_becomes_a_readable_case(app, world, name, title, fragment):
    receipt = mail_jobs.import_mail(sample("email", name))
    assert receipt.message.status == "case", receipt.message.reason
    [case] = all_cases()
    assert case.channel.value == "email"
    if title:
        assert case.title == title
    if fragment:
        assert fragment in case.content
    assert "\ufffd" not in case.content and "\ufffd" not in case.title  # no mojibake
    [answer] = outbox_to(case.citizen.contact)
    assert answer.channel == "email"
    assert case.number in answer.body and case.query_code in answer.body
    assert case.number in answer.subject  # a reply to it comes back to this case


def test_raw_mail_is_stored_and_archived(app, world):
    raw = sample("email", "utf8_plain.eml")
    receipt = mail_jobs.import_mail(raw)
    assert receipt.message.payload == raw
    archived = list((Path(app.config["INSTANCE_PATH"]) / "mail" / "archive").rglob("*.eml"))
    assert [p.read_bytes() for p in archived] == [raw]


def test_auto_reply_and_bounces_are_kept_but_make_no_case_and_no_answer(app, world):
    receipt = mail_jobs.import_mail(sample("email", "auto_reply.eml"))
    assert receipt.message.status == "ignored"
    assert all_cases() == []
    db.session.expire_all()
    from hotline.models import OutboxMessage

    assert db.session.query(OutboxMessage).count() == 0


def test_reply_with_case_number_in_subject_joins_that_case(app, world, api):
    # reply_qq_html.eml answers case 20261124000123: make a case with that number exist
    number = "20261124000123"
    case = Case(**_case_fields(number))
    db.session.add(case)
    db.session.commit()
    receipt = mail_jobs.import_mail(sample("email", "reply_qq_html.eml"))
    assert receipt.message.status == "appended"
    assert len(all_cases()) == 1
    event = db.session.query(CaseEvent).filter_by(case_id=case.id, action="supplement").one()
    assert event.public and event.note == "已经过去三天了，路灯还是没有修好，请尽快安排。"
    [answer] = outbox_to("1234567890@qq.com")
    assert number in answer.body


def test_reply_to_an_unknown_case_number_becomes_a_new_case(app, world):
    receipt = mail_jobs.import_mail(sample("email", "reply_outlook_gbk.eml"))
    assert receipt.message.status == "case"
    [case] = all_cases()
    assert "问题仍然存在" in case.content


def test_attachments_are_kept_outside_the_web_root_and_linked_to_the_case(app, world):
    receipt = mail_jobs.import_mail(sample("email", "attachment_rfc2231.eml"))
    [case] = all_cases()
    rows = storage.of_case(case.id)
    assert [(a.filename, a.content_type) for a in rows] == [
        ("现场照片.png", "image/png"), ("王堃家窗外.jpg", "image/jpeg"),
        ("情况说明.pdf", "application/pdf")]
    for row in rows:
        path = storage.path_of(row)
        assert path.is_relative_to(Path(app.config["INSTANCE_PATH"]))
        assert not path.is_relative_to(Path(app.static_folder))
        assert row.message_id == receipt.message.id


def test_refused_attachments_are_listed_in_the_case_text(app, world):
    mail_jobs.import_mail(sample("email", "attachments_refused.eml"))
    [case] = all_cases()
    assert "投诉材料.docx" in case.content
    assert db.session.query(Attachment).count() == 0


@pytest.mark.parametrize("raw", [b"", b"just some text\nwithout any header\n",
                                 b"Subject: hi\r\n\r\nno sender\r\n"])
def test_unreadable_mail_waits_in_review(app, world, raw):
    receipt = mail_jobs.import_mail(raw)
    assert receipt.message.status == "review" and receipt.message.reason
    assert all_cases() == []


def test_same_mail_twice_is_one_case(app, world):
    raw = sample("email", "utf8_plain.eml")
    mail_jobs.import_mail(raw)
    again = mail_jobs.import_mail(raw)
    assert again.duplicate
    assert len(all_cases()) == 1 and len(messages()) == 1


def test_very_long_mail_is_trimmed_in_the_case_but_kept_whole(app, world):
    body = "投诉内容" * 3000
    raw = ("From: a@b.cn\r\nSubject: long\r\nMessage-ID: <long-1@b.cn>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    mail_jobs.import_mail(raw)
    [case] = all_cases()
    assert len(case.content) <= app.config["CONTENT_MAX_CHARS"]
    assert "全文见来件原文" in case.content
    assert messages()[0].payload == raw


def test_cli_imports_eml_files(app, world, monkeypatch):
    monkeypatch.setattr("hotline.cli.create_app", lambda: app)
    from hotline.cli import main

    files = [str(EML / "utf8_plain.eml"), str(EML / "auto_reply.eml"), str(EML / "utf8_plain.eml")]
    result = CliRunner().invoke(main, ["mail", "import", *files])
    assert result.exit_code == 0, result.output
    assert "utf8_plain.eml: case" in result.output
    assert "auto_reply.eml: ignored" in result.output
    assert "(already imported)" in result.output
    assert len(all_cases()) == 1


class FakeImap:
    """Just enough of imapclient.IMAPClient: a folder of mail with UIDs and \\Seen flags
    (tests/intake/test_imap_poll.py runs the poller against a real IMAP server)."""

    def __init__(self, mailbox: dict[int, bytes], fail_after: int | None = None) -> None:
        self.mailbox = mailbox
        self.seen: set[int] = set()
        self.logged_in = None
        self.folder = None
        self.fail_after = fail_after
        self.validity = 1

    def __call__(self, host, port=None, ssl=None, ssl_context=None, timeout=None):
        self.host, self.port, self.ssl = host, port, ssl
        return self

    def shutdown(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def login(self, user, password):
        self.logged_in = (user, password)

    def select_folder(self, folder):
        self.folder = folder
        return {b"UIDVALIDITY": self.validity, b"UIDNEXT": max(self.mailbox) + 1}

    def search(self, criteria):
        if criteria[0] == "SINCE":
            return list(self.mailbox)
        assert criteria[0] == "UID" and criteria[1].endswith(":*")
        first = int(criteria[1][:-2])
        return [uid for uid in self.mailbox if uid >= first] or [max(self.mailbox)]

    def fetch(self, uids, parts):
        return {uid: {b"BODY[]": self.mailbox[uid]} for uid in uids}

    def add_flags(self, uids, flags):
        if self.fail_after is not None and len(self.seen) >= self.fail_after:
            raise ConnectionError("connection dropped")
        self.seen.update(uids)


@pytest.fixture
def imap(app, monkeypatch):
    app.config.update(IMAP_HOST="imap.example.gov.cn", IMAP_USER="12345",
                      IMAP_PASSWORD="pw", IMAP_FOLDER="INBOX")
    fake = FakeImap({1: sample("email", "utf8_plain.eml"), 2: sample("email", "auto_reply.eml"),
                     3: sample("email", "no_charset_gbk.eml")})
    monkeypatch.setattr(mail_jobs, "IMAPClient", fake)
    return fake


def test_imap_poll_stores_marks_seen_and_is_idempotent(app, world, imap):
    result = mail_jobs.poll_imap()
    assert (result.fetched, result.stored) == (3, 3)
    assert imap.seen == {1, 2, 3} and imap.logged_in == ("12345", "pw")
    assert len(all_cases()) == 2
    imap.seen.clear()  # the server forgot the flags: the UIDs are still known
    assert mail_jobs.poll_imap().fetched == 0
    imap.validity += 1  # the server renumbered the folder: reading again changes nothing
    again = mail_jobs.poll_imap()
    assert again.duplicates == 3 and len(all_cases()) == 2


def test_imap_connection_lost_midway_loses_nothing(app, world, imap):
    imap.fail_after = 1
    with pytest.raises(mail_jobs.MailError, match="connection dropped"):
        mail_jobs.poll_imap()
    imap.fail_after = None
    mail_jobs.poll_imap()
    assert len(messages()) == 3 and len(all_cases()) == 2


def test_imap_poll_unconfigured_says_so(app, world, monkeypatch):
    monkeypatch.setattr("hotline.cli.create_app", lambda: app)
    from hotline.cli import main

    result = CliRunner().invoke(main, ["mail", "poll"])
    assert result.exit_code != 0 and "HOTLINE_IMAP_HOST" in result.output


def _case_fields(number: str) -> dict:
    from hotline.models import Channel, Citizen, RequestType, utcnow

    return {"number": number, "query_code": "123456", "channel": Channel.EMAIL,
            "title": "路灯", "content": "路灯不亮", "request_type": RequestType.HELP,
            "status": "dispatched", "created_at": utcnow(),
            "citizen": Citizen(contact="1234567890@qq.com")}


def test_poll_job_polls_and_books_nothing_itself(app, world, imap, monkeypatch):
    """The schedule runs the poll; the job no longer re-books itself."""
    from rq.registry import ScheduledJobRegistry

    from hotline.broker import get_redis
    from workflows import context

    context.use_app(app)
    try:
        result = mail_jobs.poll_mailbox()
    finally:
        context.use_app(None)
    assert result["stored"] == 3
    registry = ScheduledJobRegistry("hotline", connection=get_redis())
    assert registry.get_job_ids() == []
    monkeypatch.setattr("hotline.cli.create_app", lambda: app)
    from hotline.cli import main

    answer = CliRunner().invoke(main, ["mail", "schedule"])
    assert answer.exit_code == 0 and "poll the mailbox" in answer.output
    assert registry.get_job_ids() == []
