"""Files a department chose for a reply that the quality check held back: kept beside the
draft until the department sends it (or edits it and checks again), so they are not lost.

A held file is screened like any reply file and written under ``<uploads>/held/``; the page
carries a signed token per file (who held it, for which case, where it is), so a token cannot
be forged or used by someone else or on another case. Sending reads the bytes back and hands
them to the reply with the newly chosen files (screened again); held files older than a day
are removed whenever files are held.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hotline.channels import Attachment as UploadedFile
from hotline.errors import InvalidInput
from hotline.services import storage
from hotline.services.actors import Actor

SALT = "hotline.held-reply-files"
MAX_AGE_SECONDS = 24 * 3600
FOLDER = "held"


@dataclass(frozen=True)
class HeldFile:
    """One held file as the page shows it: its token (a hidden field) and its name."""

    token: str
    filename: str
    size: int


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def hold(actor: Actor, number: str, files: list[tuple[str, bytes]],
         *, field: str = "files") -> list[HeldFile]:
    """Screen and keep the files of a held draft; InvalidInput names ``field``."""
    uploads = storage.screen(files, field=field)
    _sweep()
    return [_hold_one(actor, number, upload) for upload in uploads]


def _hold_one(actor: Actor, number: str, upload: UploadedFile) -> HeldFile:
    relative, _digest = storage.write_file(upload, folder=FOLDER)
    token = _signer().dumps({"u": actor.user_id, "c": number, "p": relative,
                             "n": upload.filename[:200]})
    return HeldFile(token, upload.filename[:200], len(upload.data))


def _claims(actor: Actor, number: str, token: str) -> dict:
    try:
        claims = _signer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        raise InvalidInput("暂存的附件已失效，请重新选择文件", field="held") from None
    if (claims.get("u") != actor.user_id or claims.get("c") != number
            or not str(claims.get("p", "")).startswith(FOLDER + "/")):
        raise InvalidInput("暂存的附件已失效，请重新选择文件", field="held")
    return claims


def release(actor: Actor, number: str, tokens: list[str]) -> list[tuple[str, bytes]]:
    """The held files named by ``tokens`` as (name, bytes), for the reply to screen and
    keep; refused by name when a token is forged, someone else's, expired or gone."""
    files = []
    for token in tokens:
        claims = _claims(actor, number, token)
        try:
            files.append((claims["n"], (storage.uploads_dir() / claims["p"]).read_bytes()))
        except OSError:
            raise InvalidInput("暂存的附件已失效，请重新选择文件", field="held") from None
    return files


def redisplay(actor: Actor, number: str, tokens: list[str]) -> list[HeldFile]:
    """The held files again (a draft held a second time keeps them)."""
    shown = []
    for token in tokens:
        claims = _claims(actor, number, token)
        path = storage.uploads_dir() / claims["p"]
        if path.exists():
            shown.append(HeldFile(token, claims["n"], path.stat().st_size))
    return shown


def discard(actor: Actor, number: str, tokens: list[str]) -> None:
    """Remove held files once the reply that took them is committed."""
    paths = []
    for token in tokens:
        try:
            paths.append(_claims(actor, number, token)["p"])
        except InvalidInput:
            continue
    storage.remove_files(paths)


def _sweep() -> None:
    """Remove held files nobody sent within a day."""
    root: Path = storage.uploads_dir() / FOLDER
    if not root.exists():
        return
    limit = time.time() - MAX_AGE_SECONDS
    for path in root.rglob("*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass
