"""Upload screening: magic-byte sniffing, size limits and safe file names."""

import pytest

from hotline.channels import Attachment, ParseError
from hotline.channels.uploads import (
    MAX_FILENAME_BYTES,
    check_attachment,
    safe_filename,
    sniff_content_type,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16
GIF = b"GIF89a\x01\x00\x01\x00" + b"\x00" * 16
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF87a" + b"\x00" * 8, "image/gif"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (b"", None),
        (b"\xff\xd8", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # RIFF but audio
        (b"<html><body>hi</body></html>", None),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', None),
        (b"MZ\x90\x00", None),  # Windows executable
        (b"PK\x03\x04", None),  # zip / docx
        (b"\xef\xbb\xbf%PDF-1.4", None),  # junk before the header is not accepted
        (b" %PDF-1.4", None),
    ],
)
def test_sniff_content_type(data: bytes, expected: str | None) -> None:
    assert sniff_content_type(data) == expected


def test_check_attachment_accepts_and_sniffs() -> None:
    att = check_attachment("现场照片.jpg", JPEG, max_bytes=1024)
    assert att == Attachment(filename="现场照片.jpg", content_type="image/jpeg", data=JPEG)
    assert "size=" in repr(att) and "\\x" not in repr(att)  # no byte dumps in logs


def test_content_decides_not_the_name() -> None:
    with pytest.raises(ParseError) as info:
        check_attachment("照片.jpg", b"<html><script>alert(1)</script></html>", max_bytes=1024)
    assert "类型不允许" in info.value.reason and "照片.jpg" in info.value.reason


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("photo.png", JPEG, "photo.jpg"),          # wrong image extension corrected
        ("扫描件.JPEG", JPEG, "扫描件.JPEG"),       # alias of the right type kept
        ("report.exe", PDF, "report.exe.pdf"),     # misleading suffix stays visible in the stem
        ("no_extension", PNG, "no_extension.png"),
        ("", GIF, "附件.gif"),
        (None, WEBP, "附件.webp"),
    ],
)
def test_check_attachment_fixes_extension(name, data, expected) -> None:
    assert check_attachment(name, data, max_bytes=1024).filename == expected


def test_check_attachment_too_large() -> None:
    with pytest.raises(ParseError) as info:
        check_attachment("大图.png", PNG + b"\x00" * 2048, max_bytes=2048)
    assert "过大" in info.value.reason and "too large" in info.value.reason


def test_size_limit_is_inclusive() -> None:
    assert check_attachment("a.pdf", PDF, max_bytes=len(PDF)).content_type == "application/pdf"


def test_check_attachment_empty() -> None:
    with pytest.raises(ParseError, match="空"):
        check_attachment("a.jpg", b"", max_bytes=10)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("现场照片.jpg", "现场照片.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\Desktop\\投诉.pdf", "投诉.pdf"),
        ("/var/www/../x.png", "x.png"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override spoof
        ("a\x00b\r\nc.jpg", "abc.jpg"),
        ('a<b>c:d"e|f?g*h.png', "a_b_c_d_e_f_g_h.png"),
        ("  多个   空格  .jpg  ", "多个 空格.jpg"),
        ("...", "附件"),
        ("", "附件"),
        (".bashrc", "bashrc"),
        ("CON.jpg", "_CON.jpg"),
        ("nul", "_nul"),
        ("ｆｕｌｌ.jpg", "ｆｕｌｌ.jpg"),  # full-width kept (only NFC)
    ],
)
def test_safe_filename(raw: str, expected: str) -> None:
    assert safe_filename(raw) == expected


def test_safe_filename_caps_length_and_keeps_extension() -> None:
    name = safe_filename("很长的文件名" * 60 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert name.startswith("很长的文件名")
    # never cuts a multi-byte character in half
    name.encode("utf-8").decode("utf-8")


def test_safe_filename_long_fake_extension_is_part_of_the_stem() -> None:
    name = safe_filename("x." + "a" * 300)
    assert len(name.encode()) <= MAX_FILENAME_BYTES and name.startswith("x.aaa")
