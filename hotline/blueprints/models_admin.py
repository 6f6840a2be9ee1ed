"""Admin page of the routing model: versions and their metrics, retraining, activation,
and the confusion report built from agents' and supervisors' corrections."""

from __future__ import annotations

import redis
from flask import Blueprint, flash, redirect, render_template, request, url_for
from rq.job import Job

from hotline.blueprints.guards import role_required
from hotline.broker import get_redis
from hotline.errors import ServiceError
from hotline.i18n import gettext as _
from hotline.models import ModelStatus
from hotline.services import corrections, suggestions
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error
from workflows import progress
from workflows.queues import LOW, get_queue

bp = Blueprint("models_admin", __name__, url_prefix="/admin/models")


def _job_progress(job_id: str | None) -> dict | None:
    if not job_id:
        return None
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except Exception:  # noqa: BLE001 - a vanished job is shown as unknown, not an error
        return None
    shown = progress.of_job(job) or {"stage": "", "percent": 0}
    return {"status": str(job.get_status()), "progress": shown["percent"],
            "stage": shown["stage"]}


@bp.get("")
@role_required("admin")
def index():
    versions = suggestions.versions()
    running = next((v for v in versions if v.status == ModelStatus.TRAINING), None)
    return render_template(
        "admin/models.html", versions=versions, active=suggestions.active_record(),
        running=running, progress=_job_progress(running.job_id if running else None),
        queued=request.args.get("queued"), confusion=corrections.confusion_report())


@bp.post("/retrain")
@role_required("admin")
def retrain():
    from workflows.retrain import retrain as retrain_job

    try:
        job = get_queue(LOW).enqueue(retrain_job, job_timeout=3600)
    except redis.RedisError as exc:
        flash(_("无法提交训练任务：{error}", error=str(exc)), "error")
        return redirect(url_for("models_admin.index"), code=303)
    flash(_("已提交训练任务，完成后可比较并启用"), "success")
    return redirect(url_for("models_admin.index", queued=job.id), code=303)


@bp.post("/<version>/activate")
@role_required("admin")
def activate(version: str):
    try:
        with unit_of_work():
            suggestions.activate_version(version)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        flash(_("已启用模型 {version}", version=version), "success")
    return redirect(url_for("models_admin.index"), code=303)
