"""Upload screening: the bytes, not the file name, decide what a file is.

Only images (JPEG, PNG, GIF, WebP) and PDF are accepted: they cover photos and scanned letters,
and staff browsers can preview them without running anything.
"""

from __future__ import annotations

import os
import re
import unicodedata

from .base import Attachment, ParseError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# ext4 and most filesystems cap names at 255 bytes; Chinese characters take 3 UTF-8 bytes each.
MAX_FILENAME_BYTES = 180
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
}
ALLOWED_TYPES = frozenset(EXTENSIONS)
#: voice a citizen sent by WeChat (never accepted as an upload): AMR, or Speex in Ogg
AUDIO_EXTENSIONS = {"audio/amr": (".amr",), "audio/ogg": (".ogg",)}
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
_FORBIDDEN_CHARS_RE = re.compile(r'[<>:"/\\|?*]')
_SPACES_RE = re.compile(r"\s+")


def sniff_content_type(data: bytes) -> str | None:
    """Identify an allowed file type from its magic bytes; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_attachment(
    filename: str | None, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Attachment:
    """Accept an uploaded file as an ``Attachment`` or raise ``ParseError`` saying why not.

    The extension is corrected to match the sniffed type so later download/preview code that
    looks at names cannot be fooled.
    """
    shown = safe_filename(filename or "")
    if len(data) > max_bytes:
        raise ParseError(f"文件过大 / file too large: {shown} is {_human(len(data))}, "
                         f"limit {_human(max_bytes)}")
    if not data:
        raise ParseError(f"文件为空 / empty file: {shown}")
    content_type = sniff_content_type(data)
    if content_type is None:
        raise ParseError(f"文件类型不允许（仅限 JPEG/PNG/GIF/WebP 图片和 PDF）/ file type not "
                         f"allowed (only JPEG/PNG/GIF/WebP images and PDF): {shown}")
    return Attachment(filename=_with_extension(shown, content_type), content_type=content_type,
                      data=bytes(data))


def safe_filename(name: str, *, default: str = "附件") -> str:
    """Make a display/storage-safe file name: no directories, control or reserved characters.

    Chinese characters are kept; the name is capped at ``MAX_FILENAME_BYTES`` UTF-8 bytes with
    its extension preserved.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]  # both separators: names often come from Windows
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _SPACES_RE.sub(" ", _FORBIDDEN_CHARS_RE.sub("_", name)).strip(" .")
    if not name:
        return default
    stem, ext = os.path.splitext(name)
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    if len(ext.encode("utf-8")) > 16:
        stem, ext = stem + ext, ""
    budget = MAX_FILENAME_BYTES - len(ext.encode("utf-8"))
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
    return (stem or default) + ext


def extension_for(content_type: str) -> str:
    """The canonical file extension for an allowed content type ("" when not allowed)."""
    return {**EXTENSIONS, **AUDIO_EXTENSIONS}.get(content_type, ("",))[0]


def check_voice(filename: str, data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Attachment:
    """Accept a WeChat voice recording (AMR or Ogg, by its bytes) or raise ``ParseError``."""
    shown = safe_filename(filename)
    if not data or len(data) > max_bytes:
        raise ParseError(f"语音为空或过大 / voice empty or too large: {shown}")
    if data.startswith(b"#!AMR"):
        content_type = "audio/amr"
    elif data.startswith(b"OggS"):
        content_type = "audio/ogg"
    else:
        raise ParseError(f"不是 AMR 或 Ogg 语音 / not an AMR or Ogg recording: {shown}")
    stem = os.path.splitext(shown)[0]
    return Attachment(filename=stem + extension_for(content_type), content_type=content_type,
                      data=bytes(data))


def _with_extension(name: str, content_type: str) -> str:
    stem, ext = os.path.splitext(name)
    if ext.lower() in EXTENSIONS[content_type]:
        return name
    # A ".jpg" that is really a PNG keeps its stem; an unknown/misleading suffix is kept in the
    # stem ("report.exe" -> "report.exe.pdf") so nobody is confused about what was sent.
    base = stem if ext.lower() in _ALL_KNOWN_EXTENSIONS else name
    return safe_filename(base + extension_for(content_type))


_ALL_KNOWN_EXTENSIONS = frozenset(e for exts in EXTENSIONS.values() for e in exts)


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"
