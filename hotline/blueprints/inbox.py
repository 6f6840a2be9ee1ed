"""The agents' side of the channels: the review queue of messages a person must look at,
web chats to pick up, the phone system's call pop, repeat hints, and case attachments."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from hotline import phones
from hotline.blueprints.guards import current_actor, role_required
from hotline.boundary import MAX_ROW_ID
from hotline.errors import ServiceError
from hotline.extensions import db
from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.models import (
    Attachment,
    Case,
    InboundMessage,
    InboundStatus,
    RequestType,
    Role,
    utcnow,
)
from hotline.services import calls, cases, chat, directory, gate, notices, repeats, storage
from hotline.services.intake import review as intake_review
from hotline.services.intake import store
from hotline.services.validation import whole_number
from hotline.unit_of_work import unit_of_work
from hotline.webutil import localtime, send_attachment, translate_error
from workflows import inbound

bp = Blueprint("inbox", __name__)
CENTRE = ("agent", "supervisor", "admin")
CASE_FIELDS = ("content", "title", "name", "phone", "address", "type", "category",
               "department")


@bp.app_template_global()
def inbox_counts() -> dict[str, int]:
    """Badges for the agents' navigation: messages to review, chats waiting."""
    return {"review": intake_review.review_count(), "chats": chat.waiting_count()}


@bp.app_template_global()
def case_intake(case: Case) -> dict:
    """What the staff case page shows from the channels: files, the source message, and
    similar requests from other citizens about the same place (for a merge)."""
    cached = g.setdefault("case_intake", {})
    if case.id in cached:
        return cached[case.id]
    actor = current_actor()
    source = db.session.query(InboundMessage).filter_by(case_id=case.id).order_by(
        InboundMessage.id).all()
    similar = []
    if actor.sees_everything and case.is_open:
        similar = repeats.similar_cases(case, utcnow())
    files = storage.by_event(case.id)
    cached[case.id] = {"attachments": files.pop(None, []), "event_files": files,
                       "messages": source,
                       "similar": similar,
                       "can_merge": actor.has_role(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)}
    return cached[case.id]


def _form_context() -> dict:
    return {"types": list(RequestType),
            "categories": directory.list_categories(leaves_only=True, active_only=True),
            "departments": directory.list_departments(active_only=True)}


# ---------------------------------------------------------------- review queue


@bp.get("/agent/review")
@role_required(*CENTRE)
def review():
    """The review queue: waiting messages, stuck ones, recent decisions, refused gateway calls."""
    return render_template("agent/review.html", items=intake_review.review_queue(),
                           waiting=intake_review.waiting(),
                           handled=intake_review.recently_handled(),
                           counts=intake_review.status_counts(),
                           rejected=gate.rejection_counts())


@bp.get("/agent/review/<int:message_id>")
@role_required(*CENTRE)
def review_item(message_id: int):
    """One message with its text, raw payload and the make-a-case and discard forms."""
    message = store.get_message(message_id)
    return render_template("agent/review_item.html", message=message,
                           form=intake_review.review_defaults(message),
                           raw=intake_review.raw_text(message), **_form_context())


@bp.get("/agent/review/<int:message_id>/raw")
@role_required(*CENTRE)
def review_raw(message_id: int):
    """The stored bytes of a message, as a download (never rendered)."""
    message = store.get_message(message_id)
    suffix = {"email": "eml", "wechat": "xml", "sms": "json", "mailbox": "json"}.get(
        message.channel, "bin")
    return Response(message.payload, mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=message-{message.id}.{suffix}",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@bp.post("/agent/review/<int:message_id>/case")
@role_required(*CENTRE)
def review_case(message_id: int):
    """Make a case of a queued message."""
    fields = {k: request.form.get(k, "") for k in CASE_FIELDS}
    if request.form.get("dispatch") != "1":
        fields["department"] = ""
    try:
        with unit_of_work():
            case = intake_review.case_from_review(current_actor(), message_id, fields)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        message = store.get_message(message_id)
        flash(translate_error(exc), "error")
        return render_template("agent/review_item.html", message=message, form=fields,
                               raw=intake_review.raw_text(message), error_field=exc.field,
                               **_form_context()), exc.status
    flash(_("已登记工单 {number}，查询码 {code}", number=case.number, code=case.query_code),
          "success")
    return redirect(url_for("inbox.review"), code=303)


@bp.post("/agent/review/<int:message_id>/discard")
@role_required(*CENTRE)
def review_discard(message_id: int):
    """Discard a queued message with a reason."""
    try:
        with unit_of_work():
            intake_review.discard(current_actor(), message_id, request.form.get("reason"))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
        return redirect(url_for("inbox.review_item", message_id=message_id), code=303)
    flash(_("已作废来件 {id}", id=message_id), "success")
    return redirect(url_for("inbox.review"), code=303)


@bp.post("/agent/review/<int:message_id>/retry")
@role_required(*CENTRE)
def review_retry(message_id: int):
    """Process a queued or stuck message again."""
    try:
        inbound.retry(message_id)
        message = store.get_message(message_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        if message.status == InboundStatus.REVIEW:
            flash(_("仍无法自动处理：{reason}", reason=message.reason or ""), "error")
        else:
            flash(_("已重新处理来件 {id}", id=message_id), "success")
    return redirect(url_for("inbox.review"), code=303)


# ---------------------------------------------------------------- web chats


@bp.get("/agent/chats")
@role_required(*CENTRE)
def chats():
    """Open web-chat conversations, waiting ones first."""
    return render_template("agent/chats.html", conversations=chat.queue(),
                           closed=chat.recent_closed())


@bp.get("/live")
@role_required(*CENTRE, "department")
def live():
    """What the live script polls (hotline/static/js/live.js): chats waiting and messages to
    review (the centre's), unread notices, and a mark that changes whenever one does."""
    centre = current_user.role.value in CENTRE
    queue = chat.queue_state() if centre else {"waiting": 0, "mark": ""}
    count, newest = notices.latest(current_actor())
    review = intake_review.review_count() if centre else 0
    return jsonify(waiting=queue["waiting"], review=review, notices=count,
                   mark=f"{queue['mark']}|{review}|{count}:{newest}")


@bp.get("/agent/chats/<int:conversation_id>")
@role_required(*CENTRE)
def chat_view(conversation_id: int):
    """One conversation: its lines, the reply box and the case form."""
    conversation = chat.get(conversation_id)
    form = {"content": chat.transcript(conversation), "name": conversation.citizen_name or "",
            "phone": conversation.citizen_phone or "", "type": "consultation"}
    return render_template("agent/chat.html", conversation=conversation,
                           lines=chat.lines(conversation), form=form, **_form_context())


def _chat_action(conversation_id: int, action, *, dispatch_wanted: bool = False) -> Response:
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        with unit_of_work():
            result = action()
    except ServiceError as exc:
        if wants_json:
            return jsonify(error={"code": exc.code, "message": translate_error(exc)}), exc.status
        flash(translate_error(exc), "error")
        return redirect(url_for("inbox.chat_view", conversation_id=conversation_id), code=303)
    if wants_json:
        return jsonify(ok=True)
    if isinstance(result, Case):
        flash(_("已登记工单 {number}，查询码 {code}", number=result.number,
                code=result.query_code), "success")
        if dispatch_wanted and result.department_id is None:
            flash(_("未选择承办单位：工单只登记、未派单，请在工单页派单"), "warn")
    return redirect(url_for("inbox.chat_view", conversation_id=conversation_id), code=303)


@bp.post("/agent/chats/<int:conversation_id>/take")
@role_required(*CENTRE)
def chat_take(conversation_id: int):
    """Pick up a waiting conversation."""
    return _chat_action(conversation_id, lambda: chat.take(current_actor(), conversation_id))


@bp.post("/agent/chats/<int:conversation_id>/say")
@role_required(*CENTRE)
def chat_say(conversation_id: int):
    """Answer the citizen (JSON for the page's script, a redirect without it)."""
    return _chat_action(conversation_id, lambda: chat.agent_says(
        current_actor(), conversation_id, request.form.get("text")))


@bp.post("/agent/chats/<int:conversation_id>/close")
@role_required(*CENTRE)
def chat_close(conversation_id: int):
    """End a conversation."""
    return _chat_action(conversation_id, lambda: chat.close(current_actor(), conversation_id))


@bp.post("/agent/chats/<int:conversation_id>/case")
@role_required(*CENTRE)
def chat_case(conversation_id: int):
    """Register a case from a conversation."""
    fields = {k: request.form.get(k, "") for k in CASE_FIELDS}
    dispatch_wanted = request.form.get("dispatch") == "1"
    if not dispatch_wanted:
        fields["department"] = ""
    return _chat_action(conversation_id, lambda: chat.to_case(
        current_actor(), conversation_id, fields), dispatch_wanted=dispatch_wanted)


@bp.get("/agent/chats/<int:conversation_id>/lines")
@role_required(*CENTRE)
def chat_lines(conversation_id: int):
    """New lines of a conversation, for the agent page's poll."""
    conversation = chat.get(conversation_id)
    after = whole_number(request.args.get("after") or "0", "after", minimum=0,
                         maximum=MAX_ROW_ID)
    lines = chat.lines(conversation, after)
    return jsonify(status=conversation.status, lines=[{
        "id": line.id, "author": line.author, "body": line.body,
        "label": line.author_label or "", "at": localtime(line.created_at, "%H:%M:%S"),
    } for line in lines])


# ---------------------------------------------------------------- console helpers


@bp.get("/agent/calls/next")
@role_required(*CENTRE)
def next_call():
    """The console's poll: the next call the phone system announced for this agent."""
    call = calls.next_call(current_user.id)
    if call is None:
        return jsonify(call=None)
    return jsonify(call={"call_id": call["call_id"], "caller": call.get("caller") or "",
                         "recording": call.get("recording") or "",
                         "masked": phones.mask(call.get("caller"))})


@bp.get("/agent/repeats")
@role_required(*CENTRE)
def repeat_hints():
    """The caller's open cases that resemble what is being typed (可能重复)."""
    phone = "".join(ch for ch in request.args.get("phone", "") if ch.isdigit() or ch == "+")
    content = request.args.get("content", "")
    if len(phone) < 5 or len(content.strip()) < 4:
        return jsonify(items=[])
    matches = repeats.possible_repeats(phone, None, content, utcnow())
    return jsonify(items=[{
        "number": m.case.number, "title": m.case.title, "similarity": round(m.score, 2),
        "percent": round(m.score * 100), "status_label": label(m.case.status),
        "url": url_for("cases.detail", number=m.case.number),
    } for m in matches[:5]])


# ---------------------------------------------------------------- case page helpers


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    """A case's file, for staff who may see the case (others get 404)."""
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        abort(404)
    if row.case_id is None:
        if not current_actor().has_role(Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
            abort(404)
    else:
        case = db.session.get(Case, row.case_id)
        cases.get_case(current_actor(), case.number)  # NotFound when not the actor's
    return send_attachment(row)


@bp.post("/cases/<number>/similar/<other>/merge")
@role_required(*CENTRE)
def merge_similar(number: str, other: str):
    """Merge a similar request (另一市民的相似诉求) into this case with the merge action."""
    try:
        with unit_of_work():
            cases.perform(current_actor(), other, "merge",
                          {"into": number, "note": "相似诉求并单"})
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        flash(_("已将 {other} 并入本工单", other=other), "success")
    return redirect(url_for("cases.detail", number=number), code=303)
