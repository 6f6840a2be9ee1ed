"""Knowledge-base pages: the public search (/kb), the staff's article management, the
direct answer from the agent console, and the upkeep report for supervisors."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from hotline.blueprints.guards import current_actor, role_required
from hotline.errors import ServiceError
from hotline.i18n import gettext as _
from hotline.models import Channel, RequestType, utcnow
from hotline.services import cases, directory, registration
from hotline.services.actors import Actor
from hotline.services.kb import articles, search, usage
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("kb", __name__, url_prefix="/kb")
STAFF = ("department", "supervisor", "admin")
FORM_FIELDS = ("title", "questions", "answer", "category", "department", "source", "tags",
               "effective_from", "expires_on", "review_on")


def _viewer() -> Actor | None:
    return current_actor() if current_user.is_authenticated else None


@bp.get("")
def index():
    """Search the published base; open to everyone, no account needed."""
    q = request.args.get("q", "")
    return render_template("kb/index.html", q=q, results=search.search(q) if q else [])


@bp.get("/<int:article_id>")
def article(article_id: int):
    """One article: published ones for anyone, the rest for the staff who may see them."""
    item = articles.get_article(_viewer(), article_id)
    staff = current_user.is_authenticated and current_user.role.value in STAFF
    return render_template("kb/article.html", article=item, staff=staff,
                           history=articles.revisions(item) if staff else [],
                           proposal=articles.pending_proposal(item) if staff else None,
                           steps=list(articles.RULES) if staff else [])


@bp.get("/manage")
@role_required(*STAFF)
def manage():
    """The articles the user keeps, with those due for review or past expiry first."""
    actor = current_actor()
    return render_template("kb/manage.html", items=articles.list_articles(actor),
                           due=articles.due_for_upkeep(actor, articles.today_local()),
                           synonyms=search.synonym_groups(),
                           added=search.added_synonyms(), kb_today=articles.today_local())


def _form_context(form: dict, item=None) -> dict:
    return {"form": form, "article": item,
            "categories": directory.list_categories(leaves_only=True, active_only=True),
            "departments": directory.list_departments(active_only=True)}


def _form_data() -> dict:
    data = {k: request.form.get(k, "") for k in FORM_FIELDS}
    if current_user.role.value == "department":
        data.pop("department")
    return data


@bp.route("/manage/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    """Draft an article."""
    if request.method == "GET":
        return render_template("kb/form.html", **_form_context({}))
    data = _form_data()
    try:
        with unit_of_work(keep_loaded=True):
            item = articles.create_article(current_actor(), data)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        return render_template("kb/form.html", **_form_context(data)), exc.status
    flash(_("已保存"), "success")
    return redirect(url_for("kb.article", article_id=item.id), code=303)


@bp.route("/manage/<int:article_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(article_id: int):
    """Change an article; a department's change to a published one waits for review."""
    item = articles.get_article(current_actor(), article_id)
    if request.method == "GET":
        form = {k: getattr(item, k) for k in FORM_FIELDS if k not in ("category", "department")}
        form.update(questions="\n".join(item.questions or ()), tags="|".join(item.tags or ()),
                    category=item.category.code if item.category else "",
                    department=item.department.code if item.department else "")
        return render_template("kb/form.html", **_form_context(form, item))
    data = _form_data()
    try:
        with unit_of_work():
            articles.update_article(current_actor(), article_id, data,
                                    note=request.form.get("note"))
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        return render_template("kb/form.html", **_form_context(data, item)), exc.status
    flash(_("已保存"), "success")
    return redirect(url_for("kb.article", article_id=article_id), code=303)


@bp.post("/manage/<int:article_id>/<step>")
@role_required(*STAFF)
def step(article_id: int, step: str):
    """Take one lifecycle step from the article page."""
    try:
        with unit_of_work():
            articles.perform(current_actor(), article_id, step, note=request.form.get("note"))
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        flash(_("已{action}", action=step), "success")
    return redirect(url_for("kb.article", article_id=article_id), code=303)


@bp.post("/synonyms")
@role_required("supervisor", "admin")
def add_synonyms():
    """Add a group of words that mean the same to callers."""
    try:
        with unit_of_work():
            search.add_synonyms(current_actor(), request.form.get("words", ""))
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        flash(_("已添加"), "success")
    return redirect(url_for("kb.manage"), code=303)


@bp.post("/synonyms/<int:group_id>/delete")
@role_required("supervisor", "admin")
def remove_synonyms(group_id: int):
    """Drop a group an admin added."""
    with unit_of_work():
        search.remove_synonyms(current_actor(), group_id)
    return redirect(url_for("kb.manage"), code=303)


@bp.post("/answer")
@role_required("agent", "supervisor", "admin")
def answer_call():
    """The console's one action: register the call as a consultation and close it with the
    article's answer, in one transaction."""
    form = request.form
    new = registration.NewCase(
        content=form.get("content") or None, channel=Channel.PHONE.value,
        title=form.get("title") or None, citizen_name=form.get("name") or None,
        citizen_phone=form.get("phone") or None, address=form.get("address") or None,
        request_type=RequestType.CONSULTATION.value, category=form.get("category") or None,
        external_ref=form.get("call_id") or None,
        recording_ref=form.get("recording_ref") or None)
    try:
        with unit_of_work(keep_loaded=True):
            actor = current_actor()
            case = registration.register_case(actor, new)
            cases.perform(actor, case.number, "resolve", {"kb_article": form.get("kb_article")})
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        return redirect(url_for("agent.console"), code=303)
    flash(_("已按知识库直接答复并办结工单 {number}", number=case.number), "success")
    return redirect(url_for("agent.console", created=case.number), code=303)


@bp.get("/report")
@role_required("supervisor", "admin")
def report():
    """Direct-answer rate, most used articles and the gaps of the last ``days`` days."""
    try:
        days = max(1, min(int(request.args.get("days", 30)), 366))
    except ValueError:
        abort(400)
    end = utcnow()
    figures = usage.report(end - timedelta(days=days), end + timedelta(seconds=1))
    return render_template("kb/report.html", figures=figures, days=days)
