"""Sign in and out; after signing in each role lands on its own page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from hotline.extensions import db
from hotline.i18n import gettext as _
from hotline.models import Role, User

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.AGENT: "agent.console",
    Role.DEPARTMENT: "workbench.index",
    Role.SUPERVISOR: "cases.index",
    Role.ADMIN: "admin.index",
}


def home_for(user: User) -> str:
    return url_for(HOME_BY_ROLE[user.role])


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = db.session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active or not user.check_password(
                request.form.get("password", "")):
            flash(_("用户名或密码不正确"), "error")
            return render_template("auth/login.html", username=username), 401
        login_user(user, remember=bool(request.form.get("remember")))
        target = request.args.get("next", "")
        if not target.startswith("/") or target.startswith("//"):
            target = home_for(user)
        return redirect(target)
    return render_template("auth/login.html", username="")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
