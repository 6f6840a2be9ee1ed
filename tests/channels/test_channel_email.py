"""Inbound e-mail parsing against generated-but-realistic Chinese mail samples."""

import hashlib
import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.channels import ParsedMessage, ParseError
from hotline.channels import email as email_channel
from hotline.channels.email import (
    decode_header_value,
    is_auto_generated,
    parse_email,
    split_quoted,
)

SAMPLES = Path(__file__).parent / "samples"
EML = SAMPLES / "email"


def load(name: str) -> bytes:
    return (EML / name).read_bytes()


def parse(name: str, **kwargs: object) -> ParsedMessage:
    return parse_email(load(name), **kwargs)


# --- samples are real bytes and reproducible -----------------------------------------------------

def test_samples_match_generator() -> None:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build_all()
    assert set(built) == {p.name for p in EML.glob("*.eml")}
    for name, data in built.items():
        assert (EML / name).read_bytes() == data, f"{name} is stale: run make_samples.py"


def test_gbk_sample_bytes_are_really_gbk() -> None:
    raw = load("no_charset_gbk.eml")
    assert "东风路垃圾站无人清运".encode("gbk") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


# --- encodings -----------------------------------------------------------------------------------

def test_gb2312_labelled_gbk_subject_and_body() -> None:
    msg = parse("gb2312_base64_gbk_body.eml")
    assert msg.channel == "email"
    # 喆 and 堃 are not in GB2312: decoding with the declared charset would lose them.
    assert msg.title == "关于幸福里小区楼下烧烤摊油烟噪音扰民的投诉（张喆、王堃）"
    assert msg.sender == "zhangzhe1988@163.com"
    assert msg.sender_name == "张喆"
    assert "邻居王堃家的老人" in msg.text and msg.text.startswith("您好：")
    assert msg.external_id == "5F3A2B1C.00001@163.com"
    assert msg.received_at == datetime(2026, 11, 24, 0, 15, 2, tzinfo=UTC)
    assert msg.reply_to_case is None and msg.attachments == ()
    assert "\r" not in msg.text


def test_gb18030_quoted_printable_with_four_byte_characters() -> None:
    msg = parse("gb18030_qp.eml")
    assert msg.sender_name == "王䶮"
    assert msg.title == "人行道被共享单车堵塞（𠮷野家门口）"  # words split mid-character
    assert "我是王䶮，吉祥路“𠮷野家”门口" in msg.text


def test_utf8_mail() -> None:
    msg = parse("utf8_plain.eml")
    assert (msg.sender, msg.sender_name) == ("liming@gmail.example", "李明")
    assert msg.title == "建设路人民路口红绿灯故障"
    assert msg.text == ("您好，\n\n建设路与人民路交叉口的红绿灯坏了三天，早高峰非常拥堵，"
                        "请派人修理。\n\n李明")
    assert msg.received_at == datetime(2026, 11, 24, 1, 5, 33, tzinfo=UTC)


def test_qq_html_only_mail_becomes_plain_text() -> None:
    msg = parse("qq_html_only.eml")
    assert msg.sender_name == "陈女士"  # quoted encoded word, as QQ Mail writes it
    assert msg.sender == "1234567890@qq.com"
    assert msg.text == (
        "您好：\n我是锦绣花园的业主，小区东门的路灯已经坏了两个星期 晚上出行很不安全。\n\n"
        "地址：朝阳路88号&文化路交叉口<东门>\n\n"
        "照片见链接：点击查看 (https://share.example.cn/p/abc123)\n\n陈女士"
    )
    for leaked in ("tracking", "max-width", "QQ邮箱", "style", "<div"):
        assert leaked not in msg.text


def test_multipart_alternative_prefers_plain() -> None:
    msg = parse("netease_alternative.eml")
    assert msg.text == "井盖丢失，位置在和平街小学门口，孩子上学很危险，请尽快补上。"
    assert msg.title == "和平街小学门口井盖丢失"
    assert msg.received_at == datetime(2026, 11, 24, 2, 30, tzinfo=UTC)


def test_no_charset_raw_gbk_headers_and_body() -> None:
    msg = parse("no_charset_gbk.eml")
    assert msg.title == "东风路垃圾站无人清运"
    assert msg.sender_name == "老邮箱用户"
    assert msg.sender == "oldmail@example.cn"
    assert msg.text == "垃圾站三天没人清运，臭气熏天，苍蝇很多。\n地址：东风路12号"


def test_no_charset_utf8_and_no_message_id() -> None:
    raw = load("no_charset_utf8.eml")
    msg = parse_email(raw)
    assert msg.text == "公园里的健身器材坏了，有安全隐患。"
    assert msg.external_id == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert parse_email(raw).external_id == msg.external_id  # stable idempotency key
    assert msg.sender_name is None


# --- attachments ---------------------------------------------------------------------------------

def test_attachments_with_rfc2231_and_encoded_word_names() -> None:
    msg = parse("attachment_rfc2231.eml")
    assert msg.text == "现场照片和情况说明见附件。"
    assert [(a.filename, a.content_type) for a in msg.attachments] == [
        ("现场照片.png", "image/png"),       # RFC 2231, UTF-8
        ("王堃家窗外.jpg", "image/jpeg"),     # RFC 2231 continuations, gb2312 label, GBK bytes
        ("情况说明.pdf", "application/pdf"),  # encoded word in quoted parameter
    ]
    assert msg.attachments[0].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert msg.attachments[2].data.startswith(b"%PDF-")
    assert msg.sender_name == "姜旭"


def test_refused_and_text_attachments_are_reported_not_lost() -> None:
    msg = parse("attachments_refused.eml")
    assert msg.attachments == ()
    assert msg.text.startswith("材料见附件：Word 文档和照片。")
    assert "[附件 / attachment 补充说明.txt]\n补充：每天晚上十点以后最吵。" in msg.text
    note = msg.text.split("[未保存的附件或内容 / attachments or parts not kept]\n", 1)[1]
    assert "投诉材料.docx" in note and "照片.jpg" in note and "类型不允许" in note


def test_oversized_attachment_is_reported() -> None:
    msg = parse("attachment_rfc2231.eml", max_attachment_bytes=100)
    assert [a.filename for a in msg.attachments] == ["现场照片.png", "情况说明.pdf"]
    assert "王堃家窗外.jpg" in msg.text and "过大" in msg.text


# --- replies and forwards ------------------------------------------------------------------------

def test_qq_html_reply_case_number_and_trimmed_history() -> None:
    msg = parse("reply_qq_html.eml")
    assert msg.reply_to_case == "20261124000123"
    assert msg.title == "您的诉求已受理（工单号 20261124000123）"
    assert msg.text == "已经过去三天了，路灯还是没有修好，请尽快安排。"


def test_gmail_reply_with_wrapped_on_wrote_line() -> None:
    msg = parse("reply_gmail_utf8.eml")
    assert msg.reply_to_case == "20261124000456"
    assert msg.text == "谢谢，红绿灯已经修好了。"


def test_outlook_reply_header_block_is_trimmed() -> None:
    msg = parse("reply_outlook_gbk.eml")
    assert msg.reply_to_case == "20261124000789"
    assert msg.text == "问题仍然存在，昨晚又吵到凌晨。"


def test_reply_with_rewritten_subject_uses_labelled_number_in_quote() -> None:
    msg = parse("reply_subject_rewritten.eml")
    assert msg.reply_to_case == "20261120000045"
    assert msg.text == "补充一张照片的说明：积水最深的地方在3号楼后面。"


def test_forward_keeps_forwarded_content() -> None:
    msg = parse("forward_inline.eml")
    assert msg.title == "关于电梯维修"
    assert msg.reply_to_case is None
    assert "物业一直推脱" in msg.text
    assert "电梯配件需要厂家调货" in msg.text  # the forwarded mail is the evidence


def test_forward_as_attachment_includes_inner_mail() -> None:
    msg = parse("forward_as_attachment.eml")
    assert msg.title == "楼道杂物清理通知"
    assert msg.text.startswith("物业要强行清理我们的私人物品，这合法吗？")
    assert "发件人 / From: 物业服务中心 <notice@wuye.example>" in msg.text
    assert "请业主于本周内清理楼道杂物" in msg.text
    assert msg.attachments == ()


# --- broken and hostile input ------------------------------------------------------------------

def test_broken_truncated_mail_degrades_gracefully() -> None:
    msg = parse("broken_truncated.eml")
    assert msg.text == "下水道堵塞，污水漫到路面上。"
    assert msg.sender == "yang@example.cn" and msg.title == "下水道堵塞"
    assert msg.received_at is None  # unreadable Date
    assert msg.external_id.startswith("sha256:")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "empty mail"),
        (b"\r\n\r\n", "empty mail"),
        (b"\x00\x01\x02\xff\xfe binary garbage without headers", "not an e-mail"),
        (b"just some text\nwithout any header\n", "not an e-mail"),
        (b"Subject: hi\r\n\r\nno sender\r\n", "missing From"),
        (b"From: undisclosed-recipients:;\r\nSubject: hi\r\n\r\nbody\r\n", "no usable address"),
        (b"From: a@b.cn\r\n\r\n", "no subject, text or attachment"),
    ],
)
def test_unusable_mail_raises_parse_error(raw: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_email(raw)
    assert fragment in info.value.reason
    assert info.value.channel == "email"


def test_non_bytes_input() -> None:
    with pytest.raises(ParseError):
        parse_email("From: a@b.cn")  # type: ignore[arg-type]


def test_subject_only_mail_uses_subject_as_text() -> None:
    msg = parse_email(b"From: a@b.cn\r\nSubject: =?utf-8?B?6Lev54Gv5Z2P5LqG?=\r\n\r\n")
    assert msg.text == "路灯坏了" and msg.title == "路灯坏了"


def test_multipart_without_boundary_keeps_its_text() -> None:
    raw = (b"From: a@b.cn\r\nContent-Type: multipart/mixed\r\n\r\n"
           + "没有 boundary 的正文".encode() + b"\r\n")
    assert "没有 boundary 的正文" in parse_email(raw).text


def nested(levels: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\nhello deep\r\n"
    for i in range(levels):
        inner = (f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
                 + inner + f"\r\n--b{i}--\r\n".encode())
    return b"From: a@b.cn\r\nSubject: deep\r\n" + inner


def test_deep_nesting_is_cut_off_with_a_note() -> None:
    msg = parse_email(nested(60))
    assert "MIME nesting too deep" in msg.text


def test_nesting_that_exhausts_the_stack_is_a_parse_error() -> None:
    # A lowered limit reproduces quickly what ~1000 levels do under the default limit.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(400)
    try:
        with pytest.raises(ParseError, match="unparseable"):
            parse_email(nested(400))
    finally:
        sys.setrecursionlimit(limit)


def test_falls_back_to_compat32_when_default_policy_chokes(monkeypatch) -> None:
    real = email_channel._extract
    calls = []

    def choking(msg, raw, limit):
        calls.append(type(msg).__name__)
        if len(calls) == 1:
            raise IndexError("policy.default header parser bug")
        return real(msg, raw, limit)

    monkeypatch.setattr(email_channel, "_extract", choking)
    msg = parse("gb2312_base64_gbk_body.eml")
    assert calls == ["EmailMessage", "Message"]
    assert msg.title.endswith("（张喆、王堃）")


def test_cr_lf_and_lf_only_mail_parse_the_same() -> None:
    crlf = load("utf8_plain.eml")
    lf = crlf.replace(b"\r\n", b"\n")
    assert parse_email(lf).text == parse_email(crlf).text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_escape_as_other_errors(junk: bytes) -> None:
    for raw in (junk, b"From: a@b.cn\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
                + junk):
        try:
            msg = parse_email(raw)
        except ParseError:
            continue
        assert isinstance(msg.text, str)


# --- headers -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?GB2312?B?1cXI/Q==?=", "张三"),
        ("=?gb2312?B?1cWG?= =?gb2312?B?tA==?=", "张喆"),  # GBK character split across words
        ("=?utf-8?Q?=E8=B7=AF=E7=81=AF_=E5=9D=8F=E4=BA=86?=", "路灯 坏了"),
        ("=?utf-8?B?6Lev?=\r\n =?utf-8?B?54Gv?=", "路灯"),  # folded, whitespace dropped
        ("Re: =?utf-8?B?6Lev54Gv?= 坏了", "Re: 路灯 坏了"),
        ("=?gbk?b?wre1xg?=", "路灯"),  # lower-case b, missing padding
        ("=?GB18030?B?lTSyNQ==?=", "𠮷"),
        ("=?utf-8*zh-cn?B?6Lev54Gv?=", "路灯"),  # RFC 2231 language suffix
        ("=?x-unknown-charset?B?6Lev54Gv?=", "路灯"),  # unknown label: guessed
        ("=?utf-8?B?6Lev?= =?gbk?B?tcY=?=", "路灯"),  # charset changes between words
        ("plain ascii   subject", "plain ascii subject"),
        ("=?utf-8?B?broken", "=?utf-8?B?broken"),
        ("", ""),
    ],
)
def test_decode_header_value(raw: str, expected: str) -> None:
    assert decode_header_value(raw) == expected


def test_decode_header_value_raw_8bit() -> None:
    raw = "东风路".encode("gbk").decode("ascii", "surrogateescape")
    assert decode_header_value(raw) == "东风路"
    raw = "东风路".encode().decode("ascii", "surrogateescape")
    assert decode_header_value(raw) == "东风路"


@pytest.mark.parametrize(
    ("header", "sender", "name"),
    [
        ("Zhang San <Zhang.San@QQ.com>", "zhang.san@qq.com", "Zhang San"),
        ("zhang@qq.com", "zhang@qq.com", None),
        ('"=?gb18030?B?1cXI/Q==?=" <z@qq.com>', "z@qq.com", "张三"),
        ("=?utf-8?B?5byg5LiJ?= <z@qq.com>, other@qq.com", "z@qq.com", "张三"),
        ("<z@qq.com>", "z@qq.com", None),
        ("z@qq.com (张三)", "z@qq.com", "张三"),
    ],
)
def test_from_header_variants(header: str, sender: str, name: str | None) -> None:
    raw = f"From: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    msg = parse_email(raw)
    assert (msg.sender, msg.sender_name) == (sender, name)


def test_date_without_zone_is_utc_and_invalid_date_is_none() -> None:
    base = b"From: a@b.cn\r\nSubject: x\r\n"
    msg = parse_email(base + b"Date: Tue, 24 Nov 2026 08:00:00 -0000\r\n\r\nbody")
    assert msg.received_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert parse_email(base + b"Date: yesterday\r\n\r\nbody").received_at is None


def test_message_id_normalised() -> None:
    raw = b"From: a@b.cn\r\nMessage-ID:\r\n <abc.123@mail.example>\r\nSubject: x\r\n\r\nbody"
    assert parse_email(raw).external_id == "abc.123@mail.example"


def test_case_number_in_subject_is_checked_before_trimming() -> None:
    raw = (b"From: a@b.cn\r\nSubject: =?utf-8?B?"
           b"UmU6IOW3peWNleWPtyAyMDI2MTEyNDAwMDEyMw==?=\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
           b"> only quoted history here\r\n")
    msg = parse_email(raw)
    assert msg.reply_to_case == "20261124000123"
    assert msg.text == "> only quoted history here"  # nothing of the citizen's own: keep it all


# --- quoted history ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "own", "forward"),
    [
        ("新内容\n\n-----原始邮件-----\n发件人：x", "新内容", False),
        ("新内容\n------------------ Original ------------------\nFrom: x", "新内容", False),
        ("新内容\n----- Original Message -----\nFrom: x", "新内容", False),
        ("新内容\nOn Tue, Nov 24, 2026 at 9:00 AM Hotline <h@x.cn> wrote:\n> 旧", "新内容", False),
        ("新内容\n在 2026-11-24 09:00:00，\"12345热线\" <h@x.cn> 写道：\n旧", "新内容", False),
        ("新内容\n12345热线 <h@x.cn> 于2026年11月24日周二 09:00写道：\n旧", "新内容", False),
        ("新内容\n发件人: 12345热线\n发送时间: 2026年11月24日\n主题: x\n旧", "新内容", False),
        ("新内容\nFrom: Hotline\nSent: Tuesday\nTo: me\n旧", "新内容", False),
        ("新内容\n> 引用一\n中间回复\n> 引用二", "新内容\n中间回复", False),
        ("看下面\n---------- Forwarded message ---------\nFrom: x\n原文", "看下面", True),
        ("没有引用的正文\n发件人：我自己（署名）", "没有引用的正文\n发件人：我自己（署名）", False),
    ],
)
def test_split_quoted(body: str, own: str, forward: bool) -> None:
    got_own, quoted, got_forward = split_quoted(body)
    assert got_own == own and got_forward is forward
    if own != body:
        assert quoted


# --- machine mail --------------------------------------------------------------------------------

def test_is_auto_generated() -> None:
    assert is_auto_generated(load("auto_reply.eml"))
    for name in ("utf8_plain.eml", "reply_qq_html.eml", "attachment_rfc2231.eml"):
        assert not is_auto_generated(load(name))
    assert is_auto_generated(b"From: MAILER-DAEMON@mx.example\r\nSubject: failure\r\n\r\nx")
    assert is_auto_generated(b"From: a@b.cn\r\nContent-Type: multipart/report; "
                             b"report-type=delivery-status; boundary=x\r\n\r\n")
    assert is_auto_generated(b"Return-Path: <>\r\nFrom: a@b.cn\r\n\r\n")
    assert is_auto_generated(b"From: a@b.cn\r\nX-Autoreply: yes\r\n\r\n")
    assert is_auto_generated(b"From: a@b.cn\r\nPrecedence: bulk\r\n\r\n")
    assert not is_auto_generated(b"From: a@b.cn\r\nAuto-Submitted: no\r\n\r\n")
    assert not is_auto_generated(b"From: a@b.cn\r\nX-Auto-Response-Suppress: All\r\n\r\n")


def test_new_mail_is_never_trimmed() -> None:
    # Not a reply: a pasted exchange after the marker is content, not history to drop.
    body = "物业的回复如下：\r\n-----原始邮件-----\r\n发件人：物业\r\n主题：停水\r\n明天停水一天"
    raw = b"From: a@b.cn\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    msg = parse_email(raw + body.encode())
    assert msg.text.endswith("明天停水一天") and "原始邮件" in msg.text


def test_overlong_message_id_is_hashed() -> None:
    raw = b"From: a@b.cn\r\nMessage-ID: <" + b"x" * 5000 + b"@y>\r\nSubject: s\r\n\r\nbody"
    external_id = parse_email(raw).external_id
    assert external_id.startswith("sha256:") and len(external_id) == 71
    assert parse_email(raw).external_id == external_id


def test_overlong_address_is_refused() -> None:
    with pytest.raises(ParseError, match="no usable address"):
        parse_email(b"From: " + b"a" * 300 + b"@b.cn\r\nSubject: s\r\n\r\nbody")


def test_utf8_body_mislabelled_as_gb2312() -> None:
    raw = (b"From: a@b.cn\r\nSubject: s\r\nContent-Type: text/plain; charset=gb2312\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + "井盖丢失，孩子上学危险。".encode())
    assert parse_email(raw).text == "井盖丢失，孩子上学危险。"


@pytest.mark.parametrize("text", ["张三", "路灯坏了", "关于噪音扰民的投诉，请尽快处理。", "喆堃䶮"])
def test_gbk_text_is_not_mistaken_for_utf8(text: str) -> None:
    raw = (b"From: a@b.cn\r\nSubject: s\r\nContent-Type: text/plain; charset=gb2312\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text.encode("gb18030"))
    assert parse_email(raw).text == text
