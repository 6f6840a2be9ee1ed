"""Import and export of the whole base, as CSV or Excel (openpyxl), so a city can load the
base it already keeps and take its own out again.

One row per article, the columns of :data:`COLUMNS`; lists (question variants, tags) are
joined with ``|``. An import matches rows to articles by ``id`` when given (an update) and
creates the others; every row goes through the same checks as the API, and the first bad row
refuses the whole file (row number and field named), so nothing is half loaded.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hotline.errors import InvalidInput, ServiceError
from hotline.extensions import db
from hotline.i18n import gettext
from hotline.models import ArticleStatus, KbArticle
from hotline.services import validation
from hotline.services.actors import Actor
from hotline.services.kb import articles

COLUMNS = ("id", "title", "questions", "answer", "category", "department", "source", "tags",
           "effective_from", "expires_on", "review_on", "status", "version", "use_count")
LIST_SEPARATOR = "|"
MAX_ROWS = 50_000


def export_rows() -> list[dict[str, Any]]:
    """Every article as a flat row of :data:`COLUMNS`."""
    rows = db.session.scalars(select(KbArticle).options(
        joinedload(KbArticle.category), joinedload(KbArticle.department))
        .order_by(KbArticle.id)).all()
    return [_row(a) for a in rows]


def _row(article: KbArticle) -> dict[str, Any]:
    return {
        "id": article.id, "title": article.title,
        "questions": LIST_SEPARATOR.join(article.questions or ()), "answer": article.answer,
        "category": article.category.code if article.category else "",
        "department": article.department.code if article.department else "",
        "source": article.source or "", "tags": LIST_SEPARATOR.join(article.tags or ()),
        "effective_from": _iso(article.effective_from), "expires_on": _iso(article.expires_on),
        "review_on": _iso(article.review_on), "status": article.status.value,
        "version": article.version, "use_count": article.use_count,
    }


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def export_csv() -> bytes:
    """The base as UTF-8 CSV with a byte-order mark (Excel opens it as Chinese text)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(export_rows())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx() -> bytes:
    """The base as an Excel workbook, one sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "kb"
    sheet.append(COLUMNS)
    for row in export_rows():
        sheet.append([row[c] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(data: bytes, filename: str) -> list[dict[str, Any]]:
    """The rows of an uploaded CSV or Excel file, keyed by the header line."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
            raise InvalidInput("无法读取 Excel 文件", field="file") from None
        values = list(sheet.iter_rows(values_only=True))
        header = [str(h or "").strip() for h in values[0]] if values else []
        rows = [dict(zip(header, row, strict=False)) for row in values[1:]]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("CSV 文件必须是 UTF-8 编码", field="file") from None
        rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) > MAX_ROWS:
        raise InvalidInput("文件行数过多，上限为 {limit} 行", field="file", limit=MAX_ROWS)
    return [r for r in rows if any(v not in (None, "") for v in r.values())]


def import_rows(actor: Actor, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Create or update one article per row in the caller's transaction; a bad row refuses
    the whole file. Supervisors and admins import published articles as such."""
    created = updated = 0
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        try:
            if _import_one(actor, row):
                created += 1
            else:
                updated += 1
        except ServiceError as exc:
            raise InvalidInput("第 {row} 行：{problem}", field=exc.field or "file", row=number,
                               problem=gettext(exc.message, **_plain(exc))) from None
    return {"created": created, "updated": updated}


def _plain(exc: ServiceError) -> dict[str, Any]:
    params = {k: v for k, v in exc.params.items() if k != "retry_after"}
    if exc.field:
        params.setdefault("field", exc.field)
    return params


def _import_one(actor: Actor, row: dict[str, Any]) -> bool:
    data = {k: _cell(row.get(k)) for k in articles.CONTENT_FIELDS if k in row}
    wanted = _cell(row.get("status")) or ArticleStatus.DRAFT.value
    try:
        status = ArticleStatus(wanted)
    except ValueError:
        raise InvalidInput("未知的文章状态：{code}", field="status", code=wanted) from None
    article_id = _cell(row.get("id"))
    existing = (db.session.get(KbArticle, validation.row_id(article_id, "id"))
                if str(article_id).isdigit() else None)
    if existing is None:
        articles.create_article(actor, data, status=_import_status(actor, status))
        return True
    articles.update_article(actor, existing.id, data, note="导入")
    return False


def _import_status(actor: Actor, status: ArticleStatus) -> ArticleStatus:
    if status == ArticleStatus.PUBLISHED and (actor.kind == "system"
                                              or actor.role in articles.OVERSIGHT):
        return status
    return ArticleStatus.DRAFT


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return "" if value is None else value
