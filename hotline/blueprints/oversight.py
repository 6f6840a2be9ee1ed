"""Oversight pages: KPI dashboard and assessment ranking, hotspots and early warning.

Supervisors and admins see every department and the ranking; department staff see their
own department's figures. Every table exports with ``?format=csv|xlsx[&table=NAME]``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import redis
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from hotline.blueprints.guards import current_actor, role_required
from hotline.i18n import gettext as _
from hotline.models import Role, utcnow
from hotline.presenters import dashboard, figures
from hotline.presenters.hotspots import spike_rows
from hotline.reporting import export
from hotline.services import (
    directory,
    hotspots,
    leader_mailboxes,
    periods,
    risk_snapshot,
    stats,
)
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error
from workflows import risk as risk_jobs
from workflows import stats as stats_jobs

bp = Blueprint("oversight", __name__, url_prefix="/oversight")
PERIOD_ARGS = ("from", "to", "department")


@bp.app_context_processor
def _figure_names():
    return {"figure_label": figures.figure_label}


def _report_args(report: stats.Report, is_department: bool) -> dict[str, str]:
    """The query arguments that show this report again (for exports and shortcuts)."""
    args = {"from": report.period.start.isoformat(), "to": report.period.end.isoformat()}
    if report.department is not None and not is_department:
        args["department"] = report.department.code
    return args


def quick_periods(today: date) -> list[tuple[str, date, date]]:
    """The period picker's shortcuts."""
    month = today.replace(day=1)
    last_month_end = month - timedelta(days=1)
    return [(_("近7天"), today - timedelta(days=6), today),
            (_("近30天"), today - timedelta(days=29), today),
            (_("本月"), month, today),
            (_("上月"), last_month_end.replace(day=1), last_month_end),
            (_("今年"), today.replace(month=1, day=1), today)]


@bp.get("")
@role_required("supervisor", "admin", "department")
def index():
    actor = current_actor()
    period = periods.period_from(request.args.get("from"), request.args.get("to"))
    department_id = stats.scope(actor, request.args.get("department"))
    is_department = actor.role == Role.DEPARTMENT
    job = request.args.get("job")
    if not is_department and stats_jobs.refresh_if_stale():
        job = stats_jobs.REFRESH_JOB  # queued just now: the page follows it
    report = stats.report(period, department_id=department_id)
    tables = dashboard.tables(report, event_links=not is_department, ranking=not is_department,
                              mailboxes=leader_mailboxes.stats(*period.window(),
                                                               office_id=department_id))
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(fmt, tables, report)
    if fmt:
        abort(404)

    def cases_url(link):
        return url_for("cases.index", **link) if link else None

    return render_template(
        "oversight/index.html", report=report, tables=tables,
        charts=dashboard.charts_for(report, tables, cases_url),
        rate_names=figures.rate_names(), rate_parts=dashboard.RATE_PARTS,
        links=dashboard.Links(report, event_links=not is_department),
        figure_count=dashboard.figure_count, is_department=is_department,
        departments=[] if is_department else directory.list_departments(),
        quick=quick_periods(periods.local_date(utcnow())),
        args=_report_args(report, is_department),
        job=job, cases_url=cases_url)


def _export(fmt: str, tables: dict[str, dashboard.Table], report: stats.Report) -> Response:
    name = request.args.get("table")
    if name and name not in tables:
        abort(404)
    chosen = [tables[name]] if name else list(tables.values())
    stem = f"oversight-{report.period.start}-{report.period.end}-{name or 'all'}"
    if fmt == "csv":
        table = chosen[0] if name else tables["kpi"]
        body = export.to_csv(table.headers, table.values())
        mimetype = "text/csv; charset=utf-8"
        stem = f"oversight-{report.period.start}-{report.period.end}-{table.name}"
    else:
        body = export.to_xlsx([(t.title, t.headers, t.values()) for t in chosen])
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})


@bp.post("/refresh")
@role_required("supervisor", "admin")
def refresh():
    args = {k: request.form[k] for k in PERIOD_ARGS if request.form.get(k)}
    try:
        args["job"] = stats_jobs.enqueue_refresh(full=request.form.get("full") == "1").id
    except redis.RedisError:
        flash(_("无法连接任务队列，请稍后再试"), "error")
    return redirect(url_for("oversight.index", **args), code=303)


@bp.get("/jobs/<job_id>")
@role_required("supervisor", "admin", "department")
def job_state(job_id: str):
    return stats_jobs.job_state(job_id)


# ---------------------------------------------------------------- hotspots and early warning

@bp.get("/hotspots")
@role_required("supervisor", "admin")
def hotspots_page():
    analysis = stats_jobs.cached_hotspots()
    job = request.args.get("job")
    if analysis is None and job is None:
        try:
            job = stats_jobs.enqueue_hotspots().id
        except redis.RedisError:  # the page works without the cached analysis
            current_app.logger.warning("could not queue the hotspot analysis", exc_info=True)
    snapshot = risk_jobs.cached_risk()
    if snapshot is None:  # no job has run yet: compute now, and have a job keep it
        snapshot = risk_snapshot.make()
        try:
            risk_jobs.enqueue_refresh()
        except redis.RedisError:
            current_app.logger.warning("could not queue the risk refresh", exc_info=True)
    return render_template(
        "oversight/hotspots.html",
        spikes={w: spike_rows(s) for w, s in risk_snapshot.spikes_of(snapshot).items()},
        outlook=risk_snapshot.outlook_of(snapshot), weekday_names=_weekday_names(),
        figures_at=risk_snapshot.computed_at(snapshot),
        figures_age=(utcnow() - risk_snapshot.computed_at(snapshot)).total_seconds(),
        analysis=analysis, clusters=hotspots.cluster_views(analysis),
        departments=directory.list_departments(active_only=True), job=job,
        analysed_at=datetime.fromisoformat(analysis["computed_at"]) if analysis else None,
        term_days=_term_days(periods.local_date(utcnow())))


def _weekday_names() -> list[str]:
    return [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]


def _term_days(today: date) -> dict[str, dict[str, str]]:
    """The /cases date filters covering each top-terms period."""
    return {key: {"from": (today - timedelta(days=back)).isoformat(), "to": today.isoformat()}
            for key, back in (("day", 1), ("week", 7))}


@bp.post("/hotspots/analyse")
@role_required("supervisor", "admin")
def analyse():
    try:
        return redirect(url_for("oversight.hotspots_page",
                                job=stats_jobs.enqueue_hotspots().id), code=303)
    except redis.RedisError:
        flash(_("无法连接任务队列，请稍后再试"), "error")
        return redirect(url_for("oversight.hotspots_page"), code=303)


@bp.post("/hotspots/merge")
@role_required("supervisor", "admin")
def merge():
    with unit_of_work():
        outcome = hotspots.merge_all(current_actor(), request.form.getlist("number"),
                                     request.form.get("into", ""))
    if outcome.done:
        flash(_("已将 {n} 件工单并入 {into}：{numbers}", n=len(outcome.done),
                into=request.form.get("into", ""), numbers="、".join(outcome.done)), "success")
    _refusals(outcome)
    return redirect(url_for("oversight.hotspots_page"), code=303)


@bp.post("/hotspots/dispatch")
@role_required("supervisor", "admin")
def dispatch():
    with unit_of_work():
        outcome = hotspots.dispatch_all(current_actor(), request.form.getlist("number"),
                                        request.form.get("department", ""))
    if outcome.done:
        flash(_("已派发 {n} 件工单：{numbers}", n=len(outcome.done),
                numbers="、".join(outcome.done)), "success")
    _refusals(outcome)
    return redirect(url_for("oversight.hotspots_page"), code=303)


def _refusals(outcome: hotspots.BulkOutcome) -> None:
    for number, error in outcome.refused:
        flash(f"{number}：{translate_error(error)}", "error")

