"""A department's reply or note with its files (site photos, documents): the action and the
files kept with the case in one transaction, each file tied to the event it came with. The
citizen sees a reply's files on the tracking page; a note's stay internal.

The files pass the same checks as mailbox uploads (:func:`storage.screen`). Their bytes are
written before the caller commits; :func:`forget_files` removes them when it does not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Attachment, Case, CaseAction, CaseEvent
from hotline.services import cases, quality_store, storage
from hotline.services.actors import Actor

#: the actions that may carry files
WITH_FILES = (CaseAction.REPLY, CaseAction.NOTE)


def reply(actor: Actor, number: str, params: dict[str, Any],
          files: list[tuple[str, bytes]], *, expected_version: int | None = None
          ) -> tuple[Case, list[Attachment]]:
    """Reply to a case (the reply action's rules) and keep ``files`` with it."""
    return act_with_files(actor, number, CaseAction.REPLY, params, files,
                          expected_version=expected_version)


def act_with_files(actor: Actor, number: str, action: str, params: dict[str, Any],
                   files: list[tuple[str, bytes]], *, expected_version: int | None = None
                   ) -> tuple[Case, list[Attachment]]:
    """Reply or add a note (the action's own rules) and keep ``files`` with its event."""
    if action not in WITH_FILES:
        raise InvalidInput("只有答复和备注可以带附件", field="files")
    uploads = storage.screen(files, field="files")
    case = cases.perform(actor, number, action, params, expected_version=expected_version)
    kept: list[Attachment] = []
    if uploads:
        db.session.flush()
        event_id = db.session.scalars(
            select(CaseEvent.id).where(CaseEvent.case_id == case.id, CaseEvent.action == action)
            .order_by(CaseEvent.id.desc()).limit(1)).one()
        kept = [storage.keep(upload, case_id=case.id, event_id=event_id) for upload in uploads]
        db.session.flush()
    if action == CaseAction.REPLY:
        quality_store.store_last_reply(case)  # the inspection as sent, kept for pages and trends
    return case, kept


def forget_files(kept: list[Attachment]) -> None:
    """Remove the bytes of files whose transaction did not commit."""
    storage.remove_files([a.path for a in kept])
