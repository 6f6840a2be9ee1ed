"""Admin pages: departments, staff accounts, categories, time limits and the holiday calendar."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hotline.blueprints.guards import role_required
from hotline.errors import ServiceError
from hotline.extensions import db
from hotline.i18n import gettext as _
from hotline.models import (
    CalendarDay,
    OutboxStatus,
    RequestType,
    Role,
    SlaPolicy,
    Urgency,
    utcnow,
)
from hotline.services import accounts, directory, personal_data, sla, webhooks
from hotline.services.validation import row_id
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _attempt(action, success: str) -> None:
    """Run one admin change in its own transaction; flash its outcome in the page's
    language."""
    try:
        with unit_of_work():
            action()
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        flash(success, "success")


@bp.get("")
@role_required("admin")
def index():
    return render_template("admin/index.html", calendar_gaps=sla.calendar_warnings(utcnow()),
                           departments=directory.list_departments(),
                           users=directory.list_users(),
                           categories=directory.list_categories())


@bp.route("/departments", methods=["GET", "POST"])
@role_required("admin")
def departments():
    if request.method == "POST":
        form = request.form
        if form.get("op") == "update":
            _attempt(lambda: directory.update_department(
                form["code"], name=form.get("name", ""), district=form.get("district"),
                active=form.get("active") == "1"), _("已保存"))
        else:
            _attempt(lambda: directory.add_department(
                form.get("code", ""), form.get("name", ""), parent=form.get("parent") or None,
                district=form.get("district") or None), _("已添加"))
        return redirect(url_for("admin.departments"), code=303)
    return render_template("admin/departments.html", departments=directory.list_departments())


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    generated = None
    if request.method == "POST":
        form = request.form
        op = form.get("op")
        if op == "reset":
            generated = _reset_password(form.get("username", ""), form.get("password", ""))
        elif op == "toggle":
            _attempt(lambda: directory.set_user_active(form["username"],
                                                       form.get("active") == "1"), _("已保存"))
        elif op == "update":
            _attempt(lambda: directory.update_user(
                form.get("username", ""), display_name=form.get("display_name"),
                role=form.get("role", ""), department=form.get("department") or None,
                email=form.get("email")), _("已保存"))
        else:
            _attempt(lambda: directory.add_user(
                form.get("username", ""), role=form.get("role", ""),
                password=form.get("password", ""), display_name=form.get("display_name"),
                department=form.get("department") or None, email=form.get("email")),
                _("已添加"))
        if generated is None:
            return redirect(url_for("admin.users"), code=303)
    # a generated password is shown on this one answer only: never flashed into the cookie
    all_users = directory.list_users()
    return render_template("admin/users.html", users=all_users, roles=list(Role),
                           states=accounts.account_states(all_users), generated=generated,
                           departments=directory.list_departments(active_only=True))


def _reset_password(username: str, password: str) -> tuple[str, str] | None:
    """Set a temporary password (the admin's, or a generated one returned to be shown
    once); the user must change it at the next sign-in."""
    try:
        with unit_of_work():
            _user, generated = accounts.reset_password(username, password)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        return None
    flash(_("已重置密码：该用户的所有登录和接口令牌已失效，下次登录须修改密码"), "success")
    return (username, generated) if generated else None


@bp.route("/categories", methods=["GET", "POST"])
@role_required("admin")
def categories():
    if request.method == "POST":
        form = request.form
        if form.get("op") == "update":
            _attempt(lambda: directory.update_category(
                form["code"], name=form.get("name", ""), department=form.get("department") or None,
                local_routing=form.get("local_routing") == "1",
                active=form.get("active") == "1"), _("已保存"))
        else:
            _attempt(lambda: directory.add_category(
                form.get("code", ""), form.get("name", ""), parent=form.get("parent") or None,
                department=form.get("department") or None,
                local_routing=form.get("local_routing") == "1"), _("已添加"))
        return redirect(url_for("admin.categories"), code=303)
    return render_template("admin/categories.html", categories=directory.list_categories(),
                           departments=directory.list_departments(active_only=True))


@bp.route("/sla", methods=["GET", "POST"])
@role_required("admin")
def sla_policies():
    if request.method == "POST":
        form = request.form
        op = form.get("op")
        if op == "calendar":
            _attempt(lambda: sla.import_calendar(form.get("csv", "")), _("已导入"))
        elif op == "delete":
            _attempt(lambda: sla.delete_policy(form.get("id", "")), _("已删除"))
        elif op == "update":
            _attempt(lambda: sla.update_policy(
                form.get("id", ""), form.get("name", ""), urgency=form.get("urgency") or None,
                request_type=form.get("type") or None, accept=form.get("accept", ""),
                handle=form.get("handle", ""), warn_percent=form.get("warn", "75"),
                calendar=form.get("calendar", "workday")), _("已保存"))
        else:
            _attempt(lambda: sla.set_policy(
                form.get("name", "") or "policy", urgency=form.get("urgency") or None,
                request_type=form.get("type") or None, accept=form.get("accept", ""),
                handle=form.get("handle", ""), warn_percent=form.get("warn", "75"),
                calendar=form.get("calendar", "workday")), _("已保存"))
        return redirect(url_for("admin.sla_policies"), code=303)
    policies = db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)).all()
    days = db.session.scalars(select(CalendarDay).order_by(CalendarDay.day.desc())
                              .limit(60)).all()
    return render_template("admin/sla.html", policies=policies, days=days,
                           urgencies=list(Urgency), types=list(RequestType),
                           calendar_gaps=sla.calendar_warnings(utcnow()))


@bp.get("/audit")
@role_required("admin")
def audit():
    """Every read of a citizen's full phone number, newest first, 100 a page."""
    before = request.args.get("before")
    before_id = row_id(before, "before") if before else None
    reads = personal_data.reads(limit=100, before_id=before_id)
    return render_template("admin/audit.html", reads=reads,
                           next_before=reads[-1].id if len(reads) == 100 else None)


@bp.get("/webhooks")
@role_required("admin")
def webhook_deliveries():
    """The event-push delivery log, newest first, filtered by subscription and status, with
    a replay button on each push."""
    status = request.args.get("status") or None
    if status is not None and status not in set(OutboxStatus):
        status = None
    chosen = request.args.get("subscription") or None
    subscription_id = row_id(chosen, "subscription") if chosen else None
    subscriptions = webhooks.all_subscriptions()
    return render_template("admin/webhooks.html", statuses=list(OutboxStatus), status=status,
                           subscriptions=subscriptions, subscription_id=subscription_id,
                           by_id={s.id: s for s in subscriptions},
                           deliveries=[(m, webhooks.case_number(m)) for m in webhooks.deliveries(
                               200, status=status, subscription_id=subscription_id)])


@bp.post("/webhooks/<int:message_id>/replay")
@role_required("admin")
def replay_delivery(message_id: int):
    """Send one push again under the same idempotency key, then back to the log."""
    _attempt(lambda: webhooks.replay(message_id), _("已重新排队投递"))
    return redirect(url_for("admin.webhook_deliveries", status=request.form.get("status") or None,
                            subscription=request.form.get("subscription") or None))
