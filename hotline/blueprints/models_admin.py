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
from workflows.queues import LOW, get_queue

bp = Blueprint("models_admin", __name__, url_prefix="/admin/models")


RETRAIN_JOB = "workflows.retrain.retrain"


def _job_state(job_id: str | None) -> dict:
    """A retraining job's status and progress in the format static/js/oversight.js polls
    (``{"status", "progress": {"stage", "done", "total"}}``); any other job is unknown."""
    if not job_id:
        return {"status": "unknown"}
    try:
        job = Job.fetch(job_id, connection=get_redis())
    except Exception:  # noqa: BLE001 - a vanished job is shown as unknown, not an error
        return {"status": "unknown"}
    if job.func_name != RETRAIN_JOB:
        return {"status": "unknown"}
    status = job.get_status(refresh=True)
    return {"status": str(getattr(status, "value", status)),
            "progress": job.meta.get("progress")}


@bp.get("")
@role_required("admin")
def index():
    versions = suggestions.versions()
    running = next((v for v in versions if v.status == ModelStatus.TRAINING), None)
    job_id = request.args.get("job") or (running.job_id if running else None)
    return render_template(
        "admin/models.html", versions=versions, active=suggestions.active_record(),
        running=running, job_id=job_id, confusion=corrections.confusion_report())


@bp.get("/jobs/<job_id>")
@role_required("admin")
def job_state(job_id: str):
    """What the page's progress bar polls while a retraining runs."""
    return _job_state(job_id)


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
    return redirect(url_for("models_admin.index", job=job.id), code=303)


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
