"""The staff case list as a file: the filtered list to CSV (UTF-8 with BOM) or XLSX.

The page's export link and ``GET /api/v1/cases/export`` build the same table from the same
filter (:func:`hotline.services.queries.filtered`), so what is downloaded is what is listed.
The citizen's phone number is never in it, as it is never in the list.
"""

from __future__ import annotations

from flask import Response

from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.reporting import export
from hotline.services import queries
from hotline.services.actors import Actor

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def headers() -> list[str]:
    """The columns, in the request's language."""
    return [_("工单号"), _("标题"), _("状态"), _("紧急程度"), _("分类"), _("承办单位"),
            _("渠道"), _("区县"), _("受理时间"), _("签收时限"), _("办理时限"), _("重办次数"),
            _("退单次数"), _("延期待审批"), _("督办")]


def rows(actor: Actor, flt: queries.CaseFilter):
    """One row per case of the filtered list (at most the export limit)."""
    for case in queries.export_cases(actor, flt):
        yield [case.number, case.title, label(case.status), label(case.urgency),
               case.category.full_name if case.category else "",
               case.department.name if case.department else "", label(case.channel),
               case.district or "", case.created_at, case.sign_deadline, case.handle_deadline,
               case.reopen_count, case.return_count, case.pending_extension_days or "",
               _("是") if case.supervised else ""]


def download(actor: Actor, flt: queries.CaseFilter, fmt: str, stem: str) -> Response:
    """The filtered list as an attachment: ``csv`` or ``xlsx`` (checked by the caller)."""
    table = rows(actor, flt)
    if fmt == "csv":
        body = export.to_csv(headers(), table)
    else:
        body = export.to_xlsx([(_("工单列表"), headers(), table)])
    return Response(body, mimetype=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})
