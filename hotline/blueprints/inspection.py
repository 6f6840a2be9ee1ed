"""Quality inspection pages: the weekly manual sample and its scoring (supervisors), the
results and trends per department and agent, and the rubric (admins)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hotline.blueprints.guards import current_actor, role_required
from hotline.errors import ServiceError
from hotline.i18n import gettext as _
from hotline.models import InspectionTarget
from hotline.services import quality_store, sampling
from hotline.services.validation import whole_number
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("inspection", __name__, url_prefix="/oversight/inspection")


def _target() -> InspectionTarget:
    return sampling.target_of(request.values.get("target"))


def _week_arg(week) -> str:
    return week.isoformat()


@bp.get("")
@role_required("supervisor", "admin")
def index():
    """The week's sample of one target: draw it, score each drawn case."""
    target = _target()
    week = sampling.parse_week(request.args.get("week"))
    actor = current_actor()
    drawn = sampling.samples(actor, target, week)
    strata = sampling.population(target, week)
    with unit_of_work():  # a drawn case not inspected yet is inspected now
        kept = quality_store.kept_for([s.case for s in drawn], target)
    return render_template(
        "oversight/inspection.html", target=target, week=week, samples=drawn,
        auto={k: quality_store.findings_of(v) for k, v in kept.items()},
        relevance={k: v.relevance for k, v in kept.items()},
        strata={k: len(v) for k, v in strata.items()}, rubric=sampling.rubric(target),
        older=sampling.older_rubrics(drawn, target), size=sampling.DEFAULT_SIZE,
        targets=list(InspectionTarget),
        previous=_week_arg(week.fromordinal(week.toordinal() - 7)),
        following=_week_arg(week.fromordinal(week.toordinal() + 7)))


def _back(target: InspectionTarget, week, anchor: str = "") -> str:
    return url_for("inspection.index", target=target.value, week=week.isoformat()) + anchor


@bp.post("/draw")
@role_required("supervisor", "admin")
def draw():
    target = _target()
    week = sampling.parse_week(request.form.get("week"))
    try:
        size = whole_number(request.form.get("size") or sampling.DEFAULT_SIZE, "size",
                            minimum=1, maximum=sampling.MAX_SIZE)
        with unit_of_work():
            drawn = sampling.draw(current_actor(), target, week, size=size)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        flash(_("已抽取 {n} 件", n=len(drawn)), "success")
    return redirect(_back(target, week), code=303)


@bp.post("/<int:sample_id>/score")
@role_required("supervisor", "admin")
def score(sample_id: int):
    actor = current_actor()
    sample = sampling.get_sample(actor, sample_id)
    target, week = sample.target, sample.week
    points = {item.code: request.form.get(f"points.{item.code}")
              for item in sampling.rubric(target)}
    try:
        with unit_of_work():
            sampling.score(actor, sample_id, points, request.form.get("note"))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        flash(_("已评分"), "success")
    return redirect(_back(target, week, f"#sample-{sample_id}"), code=303)


@bp.get("/trends")
@role_required("supervisor", "admin")
def trends():
    """Automatic results and manual scores per department (replies) and agent (records),
    week by week."""
    weeks, replies = quality_store.trends(InspectionTarget.REPLY)
    _weeks, records = quality_store.trends(InspectionTarget.RECORD)
    return render_template("oversight/quality_trends.html", weeks=weeks, replies=replies,
                           records=records)


@bp.get("/rubric")
@role_required("admin")
def rubric():
    with unit_of_work():
        sampling.ensure_default_rubric()
    items = {t: sampling.rubric(t, active_only=False) for t in InspectionTarget}
    return render_template("admin/rubric.html", items=items)


@bp.post("/rubric")
@bp.post("/rubric/<int:item_id>")
@role_required("admin")
def save_rubric(item_id: int | None = None):
    try:
        with unit_of_work():
            sampling.save_item(current_actor(), _target(), request.form.to_dict(), item_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        flash(_("已保存"), "success")
    return redirect(url_for("inspection.rubric"), code=303)
