"""Loading the leaders' mailboxes (领导信箱) from a CSV or Excel file: a city's 2,325
officials at once.

One row per mailbox, the columns of :data:`COLUMNS` (or their Chinese names, as a city's own
sheet has them). Every row is checked as the admin page checks one mailbox; every bad row is
reported with its row number and field, and then nothing is written, so a file loads whole
or not at all. A row is matched to a mailbox by its code: importing the same file again
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hotline.errors import InvalidInput, ServiceError
from hotline.extensions import db
from hotline.models import LeaderMailbox
from hotline.services import leader_mailboxes
from hotline.services.kb.transfer import read_rows

COLUMNS = ("code", "name", "holder", "kind", "office", "intro", "position", "active")
#: the Chinese headers a city's sheet may use instead
ALIASES = {"代码": "code", "信箱代码": "code", "信箱名称": "name", "名称": "name",
           "职务与姓名": "holder", "收信人": "holder", "类别": "kind", "阅处单位": "office",
           "阅处单位代码": "office", "简介": "intro", "排序": "position", "启用": "active"}
#: the kinds by their Chinese names, as the admin page shows them
KIND_NAMES = {"市长": "mayor", "市委书记": "party_secretary", "领导干部": "official",
              "部门负责人": "department_head"}
TRUE_WORDS = ("1", "true", "yes", "y", "是", "启用", "")
FALSE_WORDS = ("0", "false", "no", "n", "否", "停用")
MAX_ERRORS = 200  # a file wrong on every row is reported by its first rows


@dataclass(frozen=True)
class RowError:
    """One bad row: its number in the file (the header is row 1), and what is wrong."""

    row: int
    error: ServiceError

    @property
    def field(self) -> str | None:
        return self.error.field


@dataclass
class ImportReport:
    """What an import did (or, with errors, would not do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_file(data: bytes, filename: str) -> list[dict[str, Any]]:
    """The rows of an uploaded CSV (UTF-8) or Excel file, keyed by :data:`COLUMNS`; a header
    naming none of them is refused on ``file``."""
    rows = [{ALIASES.get(str(k or "").strip(), str(k or "").strip()): v for k, v in r.items()}
            for r in read_rows(data, filename)]
    if rows and not {"code", "name", "office"} <= set(rows[0]):
        raise InvalidInput("表头须包含 code、name、office 列（或 代码、信箱名称、阅处单位）",
                           field="file")
    return rows


def import_rows(rows: list[dict[str, Any]]) -> ImportReport:
    """Check every row, then (only if all are right) create or update one mailbox per row
    in the caller's transaction."""
    report = ImportReport()
    checked: list[leader_mailboxes.MailboxFields] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        try:
            fields = _check(row)
        except ServiceError as exc:
            report.errors.append(RowError(number, exc))
        else:
            if fields.code in seen:
                report.errors.append(RowError(number, InvalidInput(
                    "代码 {code} 与第 {row} 行重复", field="code", code=fields.code,
                    row=seen[fields.code])))
            seen.setdefault(fields.code, number)
            checked.append(fields)
        if len(report.errors) >= MAX_ERRORS:
            break
    if report.errors:
        return report
    existing = {m.code: m for m in db.session.scalars(select(LeaderMailbox))}
    for fields in checked:
        mailbox = existing.get(fields.code)
        if not leader_mailboxes.write_mailbox(mailbox, fields):
            report.unchanged += 1
        elif mailbox is None:
            report.created += 1
        else:
            report.updated += 1
    db.session.flush()
    return report


def _check(row: dict[str, Any]) -> leader_mailboxes.MailboxFields:
    cell = {name: _text(row.get(name)) for name in COLUMNS}
    active = cell["active"].lower()
    if active not in TRUE_WORDS + FALSE_WORDS:
        raise InvalidInput("「{field}」须为 1 或 0（是或否）", field="active")
    return leader_mailboxes.check_mailbox(
        cell["code"], name=cell["name"], holder=cell["holder"] or None,
        kind=KIND_NAMES.get(cell["kind"], cell["kind"]) or None, office=cell["office"],
        intro=cell["intro"] or None,
        position=cell["position"] or 0, active=active in TRUE_WORDS)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # Excel's numbers: 3.0 -> "3"
        value = int(value)
    return str(value).strip()
