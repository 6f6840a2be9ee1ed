"""The map of cases (GIS) for supervisors and departments: the city or one district, counts
by district and street, cells of points, clusters of similar requests, and the cases behind a
cell, a street or a cluster. Drawn server-side as SVG (no tiles, no outside scripts)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy import select

from hotline.blueprints.guards import current_actor, role_required
from hotline.extensions import db
from hotline.models import Case, CaseStatus, Role
from hotline.presenters import casemap as drawing
from hotline.services import casemap, directory, hotspots
from workflows import stats as stats_jobs

bp = Blueprint("casemap", __name__, url_prefix="/oversight/map")
KEPT_ARGS = ("from", "to", "category", "status", "department")


@bp.get("")
@role_required("supervisor", "admin", "department")
def page():
    actor = current_actor()
    flt = casemap.map_filter(actor, request.args)
    atlas = casemap.the_atlas()
    if atlas is None:
        abort(503)
    if flt.district and flt.district not in atlas.districts:
        abort(404)
    kept = {k: request.args[k] for k in KEPT_ARGS if request.args.get(k)}
    zoom = {"district": flt.district} if flt.district else {}

    def url(**extra):
        return url_for("casemap.page", **{**kept, **zoom, **extra})

    area_filter = casemap.MapFilter(flt.period, flt.department_id, flt.category_ids,
                                    flt.status, flt.district)
    figures = casemap.counts(area_filter)
    marks = casemap.cluster_marks(hotspots.cluster_views(stats_jobs.cached_hotspots()),
                                  area_filter)
    svg = (drawing.district_svg(atlas, flt.district, figures, marks, url) if flt.district
           else drawing.city_svg(atlas, figures, marks, url))
    return render_template(
        "oversight/map.html", svg=svg, figures=figures, flt=flt, kept=kept, marks=marks,
        selection=_selection(flt, area_filter), atlas=atlas,
        is_department=actor.role == Role.DEPARTMENT,
        departments=directory.list_departments(active_only=True),
        categories=directory.list_categories(active_only=True),
        statuses=list(CaseStatus), args=request.args)


def _selection(flt: casemap.MapFilter, area_filter: casemap.MapFilter):
    """The cases the page lists under the map: a cell's, a street's or a cluster's."""
    args = request.args
    if args.get("cell"):
        cell = casemap.cell_bounds(args.get("lat"), args.get("lon"), args.get("cell"))
        return casemap.cases_at(area_filter, cell)
    if flt.street:
        return casemap.cases_at(flt)
    if args.get("numbers"):
        numbers = [n.strip() for n in args["numbers"].split(",")[:30] if n.strip()]
        return list(db.session.scalars(area_filter.where(
            select(Case).where(Case.number.in_(numbers))).order_by(Case.id.desc())))
    return None
