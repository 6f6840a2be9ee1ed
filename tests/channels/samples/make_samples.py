"""Generate the .eml samples under tests/channels/samples/email/.

Each sample mimics what a real client sends (QQ Mail, 163/Coremail, Foxmail, Outlook, Gmail,
old webmail) and is built with email.mime plus explicit charsets and transfer encodings, so the
bytes are genuinely GB2312/GBK/GB18030 where the client would produce them.  Output is
deterministic (fixed boundaries, dates and ids); test_channel_email.py checks that the committed
files match what this script produces.

Run:  .venv/bin/python tests/channels/samples/make_samples.py
"""

from __future__ import annotations

import base64
import quopri
import struct
import sys
import zlib
from email import policy
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from pathlib import Path

OUT = Path(__file__).resolve().parent / "email"
CRLF = policy.compat32.clone(linesep="\r\n")


# --- building blocks ------------------------------------------------------------------------

def encoded_words(text: str, charset: str, encoding: str = "B", chunk: int | None = None) -> str:
    """RFC 2047 encoded words of ``chunk`` bytes each (at most 75 characters per word),
    splitting multi-byte characters the way several Chinese clients do (decoders must join the
    bytes before decoding)."""
    chunk = chunk or (45 if encoding == "B" else 17)
    data = text.encode(charset if charset.lower() not in ("gb2312", "gbk") else "gbk")
    words = []
    for start in range(0, len(data), chunk):
        piece = data[start:start + chunk]
        if encoding == "B":
            body = base64.b64encode(piece).decode("ascii")
        else:
            # Q encoding as clients write it: every byte that is not a letter/digit as =XX
            body = "".join(chr(b) if chr(b).isalnum() and b < 128 else f"={b:02X}"
                           for b in piece)
        words.append(f"=?{charset}?{encoding}?{body}?=")
    return "\r\n ".join(words)


def text_part(
    text: str, subtype: str, charset: str, cte: str, label: str | bool | None = None
) -> MIMEBase:
    """A text part whose bytes are ``text`` encoded with ``charset`` (GBK when labelled gb2312,
    as real clients do) and transfer-encoded with ``cte``."""
    codec = "gbk" if charset.lower() in ("gb2312", "gbk") else charset
    data = text.encode(codec)
    part = MIMENonMultipart("text", subtype)
    if label is not False:
        part.set_param("charset", label or charset)
    if cte == "base64":
        part.set_payload(base64.encodebytes(data).decode("ascii"))
    elif cte == "quoted-printable":
        part.set_payload(quopri.encodestring(data).decode("ascii"))
    else:
        part.set_payload(data.decode("ascii", "surrogateescape"))
    part["Content-Transfer-Encoding"] = cte
    del part["MIME-Version"]  # only the top level carries it
    return part


def binary_part(maintype: str, subtype: str, data: bytes, filename_params: dict) -> MIMEBase:
    part = MIMEBase(maintype, subtype)
    del part["MIME-Version"]
    part.set_payload(base64.encodebytes(data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    for header, (name, value) in filename_params.items():
        if header == "Content-Type":
            part.set_param(name, value)
        else:
            part.add_header("Content-Disposition", "attachment", **{name: value})
    return part


def headers(msg, *, from_, to="12345@rexian.example.gov.cn", subject, date, message_id,
            mailer=None, extra=()):
    # Clients write the envelope headers first and the MIME headers last.
    mime = [(name, msg[name]) for name in ("Content-Type", "Content-Transfer-Encoding")
            if msg[name] is not None]
    for name in ("Content-Type", "Content-Transfer-Encoding", "MIME-Version"):
        del msg[name]
    msg["From"] = from_
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date
    if message_id:
        msg["Message-ID"] = message_id
    if mailer:
        msg["X-Mailer"] = mailer
    msg["MIME-Version"] = "1.0"
    for name, value in extra:
        msg[name] = value
    for name, value in mime:
        msg[name] = value
    return msg


def as_bytes(msg) -> bytes:
    return msg.as_bytes(policy=CRLF)


def tiny_png() -> bytes:
    """A valid 1x1 PNG, so the attachment is a real image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x80\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + bytes(range(256)) * 4 + b"\xff\xd9")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- samples --------------------------------------------------------------------------------

def gb2312_base64_gbk_body() -> bytes:
    # Foxmail/Outlook (China): everything labelled gb2312 although 喆/堃 exist only in GBK.
    body = ("您好：\r\n"
            "    我叫张喆，住在幸福里小区5栋。楼下烧烤摊每天营业到凌晨两点，油烟和噪音严重扰民，"
            "邻居王堃家的老人已经被吵得住院。\r\n"
            "    希望有关部门尽快处理。\r\n\r\n张喆\r\n13800138000\r\n")
    msg = text_part(body, "plain", "gb2312", "base64")
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('张喆', 'gb2312')} <zhangzhe1988@163.com>",
        subject=encoded_words("关于幸福里小区楼下烧烤摊油烟噪音扰民的投诉（张喆、王堃）",
                              "GB2312", chunk=21),
        date="Tue, 24 Nov 2026 08:15:02 +0800",
        message_id="<5F3A2B1C.00001@163.com>",
        mailer="Foxmail 7.2.25.228[cn]",
    ))


def gb18030_qp() -> bytes:
    # A GB18030 four-byte character (𠮷, 䶮) in a rare-character name, quoted-printable.
    body = ("市长您好，我是王䶮，吉祥路“𠮷野家”门口的人行道被共享单车堵死，轮椅无法通行。"
            "请尽快清理。\r\n")
    msg = text_part(body, "plain", "GB18030", "quoted-printable")
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('王䶮', 'GB18030', 'Q')} <wangyan@example.cn>",
        subject=encoded_words("人行道被共享单车堵塞（𠮷野家门口）", "GB18030", "Q"),
        date="Mon, 23 Nov 2026 21:40:00 +0800",
        message_id="<gb18030-qp-0001@example.cn>",
    ))


def utf8_plain() -> bytes:
    body = "您好，\n\n建设路与人民路交叉口的红绿灯坏了三天，早高峰非常拥堵，请派人修理。\n\n李明\n"
    msg = MIMEText(body, "plain", "utf-8")  # base64 body, encoded-word headers: Gmail-like
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('李明', 'utf-8')} <liming@gmail.example>",
        subject=encoded_words("建设路人民路口红绿灯故障", "utf-8"),
        date="Tue, 24 Nov 2026 01:05:33 +0000",
        message_id="<CAF=utf8.sample@mail.gmail.example>",
    ))


QQ_STYLE = ("<style>p{margin:0;} .qmbox img{max-width:100%}</style>"
            "<script>window.alert('tracking')</script>")


def qq_html_only() -> bytes:
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        f"<html><head><title>QQ邮箱</title>{QQ_STYLE}</head><body>"
        '<div style="font-family:微软雅黑,sans-serif;font-size:14px;color:#000000">您好：</div>'
        '<div style="font-family:微软雅黑;font-size:14px">我是锦绣花园的业主，'
        "小区东门的路灯已经坏了两个星期&nbsp;&nbsp;晚上出行很不安全。</div>"
        "<div><br></div>"
        '<div style="font-size:14px">地址：朝阳路88号&amp;文化路交叉口&lt;东门&gt;</div>'
        '<p style="margin:0">照片见链接：<a href="https://share.example.cn/p/abc123" '
        'target="_blank">点击查看</a></p>'
        "<div><br></div><div>陈女士</div></body></html>"
    )
    msg = text_part(html, "html", "gb18030", "base64")
    return as_bytes(headers(
        msg,
        from_=f'"{encoded_words("陈女士", "gb18030")}" <1234567890@qq.com>',
        subject=encoded_words("锦绣花园东门路灯不亮", "gb18030"),
        date="Tue, 24 Nov 2026 07:58:10 +0800",
        message_id="<tencent_8A7C1D2E3F4B5A6978@qq.com>",
        mailer="QQMail 2.x",
        extra=[("X-QQ-mid", "xmsezc29-0t1732406290tk2jah6rh")],
    ))


def netease_alternative() -> bytes:
    plain = "井盖丢失，位置在和平街小学门口，孩子上学很危险，请尽快补上。\r\n"
    html = ('<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">'
            "<div>井盖丢失，位置在和平街小学门口，孩子上学<b>很危险</b>，请尽快补上。</div>"
            "</div><br><br><span title=\"neteasefooter\"><p>&nbsp;</p></span>")
    msg = MIMEMultipart("alternative", boundary="----=_Part_12345_678901.1732400000000")
    msg.attach(text_part(plain, "plain", "GBK", "base64"))
    msg.attach(text_part(html, "html", "GBK", "base64"))
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('赵先生', 'GBK')} <zhaoxs@163.com>",
        subject=encoded_words("和平街小学门口井盖丢失", "GBK"),
        date="Tue, 24 Nov 2026 10:30:00 +0800 (CST)",
        message_id="<1a2b3c4d.5e6f.18d0c0ffee0.Coremail.zhaoxs@163.com>",
        mailer="Coremail Webmail Server Version XT5.0.14 build 20230606(1a8a4ac3)",
    ))


def attachment_rfc2231() -> bytes:
    msg = MIMEMultipart("mixed", boundary="----=_NextPart_000_0012_01DB3E1A.5C7F2A30")
    msg.attach(text_part("现场照片和情况说明见附件。\r\n", "plain", "gb2312", "base64"))
    # RFC 2231 with UTF-8 (Thunderbird, Apple Mail)
    msg.attach(binary_part("image", "png", tiny_png(),
                           {"Content-Disposition": ("filename", ("utf-8", "", "现场照片.png"))}))
    # RFC 2231 labelled gb2312 holding GBK-only 堃, split into continuations (old Outlook)
    part = MIMEBase("image", "jpeg")
    del part["MIME-Version"]
    part.set_payload(base64.encodebytes(JPEG).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    name = "".join(f"%{b:02X}" for b in "王堃家窗外.jpg".encode("gbk"))
    part["Content-Disposition"] = (f"attachment;\r\n filename*0*=gb2312''{name[:24]};"
                                   f"\r\n filename*1*={name[24:]}")
    msg.attach(part)
    # Encoded word inside a quoted parameter: non-standard, but what Foxmail/QQ send
    msg.attach(binary_part("application", "octet-stream", PDF,
                           {"Content-Type": ("name", encoded_words("情况说明.pdf", "gb2312")),
                            "Content-Disposition": ("filename",
                                                    encoded_words("情况说明.pdf", "gb2312"))}))
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('姜旭', 'gb2312')} <jiangxu@sina.example>",
        subject=encoded_words("噪音扰民材料（附照片）", "gb2312"),
        date="Tue, 24 Nov 2026 11:02:45 +0800",
        message_id="<000c01db3e1a$5c7f2a30$1a2b3c4d$@sina.example>",
        mailer="Microsoft Outlook 16.0",
    ))


def attachments_refused() -> bytes:
    msg = MIMEMultipart("mixed", boundary="b1_refused_attachments")
    msg.attach(text_part("材料见附件：Word 文档和照片。\n", "plain", "utf-8", "quoted-printable"))
    docx = b"PK\x03\x04" + b"\x00" * 64
    msg.attach(binary_part(
        "application", "vnd.openxmlformats-officedocument.wordprocessingml.document", docx,
        {"Content-Disposition": ("filename", ("utf-8", "", "投诉材料.docx"))}))
    fake = b"<html><script>alert('x')</script></html>"
    msg.attach(binary_part("image", "jpeg", fake,
                           {"Content-Disposition": ("filename", ("utf-8", "", "照片.jpg"))}))
    msg.attach(text_part("补充：每天晚上十点以后最吵。\n", "plain", "utf-8", "base64"))
    msg.get_payload()[-1].add_header("Content-Disposition", "attachment", filename="补充说明.txt")
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('周女士', 'utf-8')} <zhou@example.cn>",
        subject=encoded_words("噪音材料", "utf-8"),
        date="Tue, 24 Nov 2026 12:00:00 +0800",
        message_id="<refused-attachments-1@example.cn>",
    ))


def reply_qq_html() -> bytes:
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        f"<head>{QQ_STYLE}</head>"
        "<div>已经过去三天了，路灯还是没有修好，请尽快安排。</div><div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        '<div style="font-size: 12px;background:#efefef;padding:8px;">'
        "<div><b>发件人:</b>&nbsp;\"12345热线\"&lt;12345@rexian.example.gov.cn&gt;;</div>"
        "<div><b>发送时间:</b>&nbsp;2026年11月24日(星期二) 上午9:00</div>"
        "<div><b>主题:</b>&nbsp;您的诉求已受理（工单号 20261124000123）</div></div>"
        "<div>您好，您反映的问题已受理，工单号 20261124000123。</div>"
    )
    msg = text_part(html, "html", "gb18030", "base64")
    return as_bytes(headers(
        msg,
        from_=f'"{encoded_words("陈女士", "gb18030")}" <1234567890@qq.com>',
        subject=encoded_words("回复：您的诉求已受理（工单号 20261124000123）", "gb18030"),
        date="Fri, 27 Nov 2026 19:20:00 +0800",
        message_id="<tencent_reply_0001@qq.com>",
        mailer="QQMail 2.x",
        extra=[("In-Reply-To", "<case-20261124000123@rexian.example.gov.cn>")],
    ))


def reply_gmail_utf8() -> bytes:
    body = ("谢谢，红绿灯已经修好了。\n\n"
            "On Tue, Nov 24, 2026 at 10:00 AM 12345热线 <12345@rexian.example.gov.cn>\n"
            "wrote:\n\n"
            "> 您好，您反映的问题已受理，工单号 20261124000456。\n"
            "> 我们将在 5 个工作日内答复。\n")
    msg = MIMEText(body, "plain", "utf-8")
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('李明', 'utf-8')} <liming@gmail.example>",
        subject="Re: " + encoded_words("您的诉求已受理（工单号 20261124000456）", "utf-8"),
        date="Wed, 25 Nov 2026 02:11:09 +0000",
        message_id="<CAF=reply.sample@mail.gmail.example>",
        extra=[("In-Reply-To", "<case-20261124000456@rexian.example.gov.cn>")],
    ))


def reply_outlook_gbk() -> bytes:
    body = ("问题仍然存在，昨晚又吵到凌晨。\r\n\r\n"
            "________________________________\r\n"
            "发件人: 12345热线 <12345@rexian.example.gov.cn>\r\n"
            "发送时间: 2026年11月24日 9:00\r\n"
            "收件人: 姜旭\r\n"
            "主题: 您的诉求已受理（工单号 20261124000789）\r\n\r\n"
            "您好，您反映的问题已受理。\r\n")
    msg = text_part(body, "plain", "gb2312", "base64")
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('姜旭', 'gb2312')} <jiangxu@sina.example>",
        subject=encoded_words("答复: 您的诉求已受理（工单号 20261124000789）", "gb2312"),
        date="Thu, 26 Nov 2026 08:00:00 +0800",
        message_id="<outlook-reply-0001@sina.example>",
        mailer="Microsoft Outlook 16.0",
    ))


def reply_subject_rewritten() -> bytes:
    # The citizen replied but typed a new subject; the case number survives only in the quote.
    body = ("补充一张照片的说明：积水最深的地方在3号楼后面。\n\n"
            "-----原始邮件-----\n"
            "发件人：12345热线 <12345@rexian.example.gov.cn>\n"
            "发送时间：2026年11月20日 星期五 15:30\n"
            "主题：您的诉求已受理\n\n"
            "您好，您反映的问题已受理，工单号：20261120000045。\n")
    msg = text_part(body, "plain", "utf-8", "base64")
    return as_bytes(headers(
        msg,
        from_="sunli@example.cn",
        subject=encoded_words("小区积水补充说明", "utf-8"),
        date="Sat, 21 Nov 2026 09:00:00 +0800",
        message_id="<rewritten-subject-1@example.cn>",
        extra=[("In-Reply-To", "<case-20261120000045@rexian.example.gov.cn>")],
    ))


def forward_inline() -> bytes:
    body = ("请看下面物业的回复，电梯坏了一个月，物业一直推脱。\r\n\r\n"
            "-------- 转发邮件信息 --------\r\n"
            "发件人：\"幸福物业\" <service@wuye.example>\r\n"
            "发送日期：2026-11-20 16:00:00\r\n"
            "收件人：zhangzhe1988@163.com\r\n"
            "主题：关于电梯维修\r\n\r\n"
            "业主您好，电梯配件需要厂家调货，预计下月到货，请耐心等待。\r\n")
    msg = text_part(body, "plain", "gbk", "base64")
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('张喆', 'gb2312')} <zhangzhe1988@163.com>",
        subject=encoded_words("转发：关于电梯维修", "GBK"),
        date="Tue, 24 Nov 2026 13:00:00 +0800",
        message_id="<forward-inline-1@163.com>",
    ))


def forward_as_attachment() -> bytes:
    notice = "请业主于本周内清理楼道杂物，否则将统一清理。\r\n"
    inner = text_part(notice, "plain", "gb2312", "base64")
    headers(inner, from_=f"{encoded_words('物业服务中心', 'gb2312')} <notice@wuye.example>",
            to="all@wuye.example", subject=encoded_words("楼道杂物清理通知", "gb2312"),
            date="Mon, 23 Nov 2026 09:00:00 +0800", message_id="<notice-1@wuye.example>")
    outer = MIMEMultipart("mixed", boundary="fwd_as_attachment_boundary")
    note = "物业要强行清理我们的私人物品，这合法吗？\r\n"
    outer.attach(text_part(note, "plain", "gb2312", "base64"))
    wrapped = MIMEBase("message", "rfc822")
    del wrapped["MIME-Version"]
    wrapped.set_payload([inner])
    wrapped.add_header("Content-Disposition", "attachment", filename="notice.eml")
    outer.attach(wrapped)
    return as_bytes(headers(
        outer,
        from_=f"{encoded_words('刘先生', 'gb2312')} <liu@example.cn>",
        subject=encoded_words("Fw: 楼道杂物清理通知", "gb2312"),
        date="Tue, 24 Nov 2026 14:00:00 +0800",
        message_id="<forward-attachment-1@example.cn>",
    ))


def no_charset_gbk() -> bytes:
    # Old webmail: no charset anywhere, raw 8-bit GBK in the body AND the headers.
    body = "垃圾站三天没人清运，臭气熏天，苍蝇很多。\r\n地址：东风路12号\r\n"
    msg = text_part(body, "plain", "gbk", "8bit", label=False)
    raw = as_bytes(headers(
        msg,
        from_="RAWNAME <oldmail@example.cn>",
        subject="RAWSUBJECT",
        date="Tue, 24 Nov 2026 15:00:00 +0800",
        message_id="<no-charset-gbk@example.cn>",
    ))
    raw = raw.replace(b"RAWNAME", "老邮箱用户".encode("gbk"))
    return raw.replace(b"RAWSUBJECT", "东风路垃圾站无人清运".encode("gbk"))


def no_charset_utf8() -> bytes:
    body = "公园里的健身器材坏了，有安全隐患。\n"
    msg = text_part(body, "plain", "utf-8", "8bit", label=False)
    return as_bytes(headers(
        msg,
        from_="park@example.cn",
        subject=encoded_words("健身器材损坏", "utf-8"),
        date="Tue, 24 Nov 2026 16:00:00 +0800",
        message_id=None,  # no Message-ID: the parser falls back to a hash of the bytes
    ))


def broken_truncated() -> bytes:
    # A truncated download: bad Date, no Message-ID, invalid base64, no closing boundary.
    msg = MIMEMultipart("mixed", boundary="broken_boundary_42")
    msg.attach(text_part("下水道堵塞，污水漫到路面上。\r\n", "plain", "gb2312", "base64"))
    headers(msg, from_=f"{encoded_words('杨先生', 'gb2312')} <yang@example.cn>",
            subject=encoded_words("下水道堵塞", "gb2312"),
            date="星期二, 24 十一月 2026 25:61:00", message_id=None)
    raw = as_bytes(msg)
    cut = raw.rindex(b"--broken_boundary_42--")
    return raw[:cut] + (b"--broken_boundary_42\r\nContent-Type: image/jpeg; name=\"a.jpg\"\r\n"
                        b"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRg!!!not-base64")


def auto_reply() -> bytes:
    msg = text_part("您好，我正在休假，11月30日后回复。\r\n", "plain", "gb2312", "base64")
    return as_bytes(headers(
        msg,
        from_=f"{encoded_words('杨先生', 'gb2312')} <yang@example.cn>",
        subject=encoded_words("自动回复: 您的诉求已受理（工单号 20261124000123）", "gb2312"),
        date="Tue, 24 Nov 2026 09:01:00 +0800",
        message_id="<auto-reply-1@example.cn>",
        extra=[("Auto-Submitted", "auto-replied")],
    ))


SAMPLES = {
    "gb2312_base64_gbk_body.eml": gb2312_base64_gbk_body,
    "gb18030_qp.eml": gb18030_qp,
    "utf8_plain.eml": utf8_plain,
    "qq_html_only.eml": qq_html_only,
    "netease_alternative.eml": netease_alternative,
    "attachment_rfc2231.eml": attachment_rfc2231,
    "attachments_refused.eml": attachments_refused,
    "reply_qq_html.eml": reply_qq_html,
    "reply_gmail_utf8.eml": reply_gmail_utf8,
    "reply_outlook_gbk.eml": reply_outlook_gbk,
    "reply_subject_rewritten.eml": reply_subject_rewritten,
    "forward_inline.eml": forward_inline,
    "forward_as_attachment.eml": forward_as_attachment,
    "no_charset_gbk.eml": no_charset_gbk,
    "no_charset_utf8.eml": no_charset_utf8,
    "broken_truncated.eml": broken_truncated,
    "auto_reply.eml": auto_reply,
}


def build_all() -> dict[str, bytes]:
    """Every sample's file name and bytes."""
    return {name: make() for name, make in SAMPLES.items()}


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, data in build_all().items():
        (OUT / name).write_bytes(data)
        print(f"wrote {name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
