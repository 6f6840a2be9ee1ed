"""A department's reply with its files (site photos, documents): the reply action and the
files kept with the case in one transaction; the citizen sees them on the tracking page.

The files pass the same checks as mailbox uploads (:func:`storage.screen`). Their bytes are
written before the caller commits; :func:`forget_files` removes them when it does not.
"""

from __future__ import annotations

from typing import Any

from hotline.extensions import db
from hotline.models import Attachment, Case
from hotline.services import cases, quality_store, storage
from hotline.services.actors import Actor


def reply(actor: Actor, number: str, params: dict[str, Any],
          files: list[tuple[str, bytes]], *, expected_version: int | None = None
          ) -> tuple[Case, list[Attachment]]:
    """Reply to a case (the reply action's rules), keep ``files`` with it and the reply's
    automatic inspection."""
    uploads = storage.screen(files, field="files")
    case = cases.perform(actor, number, "reply", params, expected_version=expected_version)
    kept = [storage.keep(upload, case_id=case.id) for upload in uploads]
    db.session.flush()
    quality_store.store_last_reply(case)  # the inspection as sent, kept for pages and trends
    return case, kept


def forget_files(kept: list[Attachment]) -> None:
    """Remove the bytes of files whose transaction did not commit."""
    storage.remove_files([a.path for a in kept])
