"""Admin page: the places of the map (import CSV or GeoJSON, see what was imported)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hotline.blueprints.guards import current_actor, role_required
from hotline.geo.features import CSV_COLUMNS, PlaceFileError
from hotline.i18n import gettext as _
from hotline.services import places
from hotline.unit_of_work import unit_of_work

bp = Blueprint("places_admin", __name__, url_prefix="/admin/places")
MAX_BYTES = 5 * 1024 * 1024


@bp.get("")
@role_required("admin")
def index():
    atlas = places.atlas()
    return render_template("admin/places.html", imported=places.imported_places(),
                           atlas=atlas, columns=CSV_COLUMNS, problems=None)


@bp.post("")
@role_required("admin")
def upload():
    upload = request.files.get("file")
    data = upload.read(MAX_BYTES + 1) if upload else b""
    name = (upload.filename or "") if upload else ""
    problems = None
    if not data:
        flash(_("请选择要导入的文件"), "error")
    elif len(data) > MAX_BYTES:
        flash(_("文件超过 {n} MB", n=MAX_BYTES // (1024 * 1024)), "error")
    else:
        try:
            with unit_of_work():
                outcome = places.import_places(current_actor(), data, name)
        except PlaceFileError as exc:
            problems = exc.problems
        else:
            flash(_("已导入：新增 {created} 个地点，更新 {updated} 个", created=outcome.created,
                    updated=outcome.updated), "success")
            return redirect(url_for("places_admin.index"), code=303)
    if problems is None:
        return redirect(url_for("places_admin.index"), code=303)
    return render_template("admin/places.html", imported=places.imported_places(),
                           atlas=places.atlas(), columns=CSV_COLUMNS, problems=problems,
                           filename=name), 422
