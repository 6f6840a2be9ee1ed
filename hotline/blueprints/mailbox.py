"""Citizens' own ways in, no account: the mayor's mailbox (市长信箱) with attachments and an
offline challenge, the web chat, and the files of a case for the citizen holding its code."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, current_app, make_response, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hotline.boundary import MAX_ROW_ID
from hotline.channels import challenge
from hotline.errors import InvalidInput, ServiceError
from hotline.extensions import db
from hotline.i18n import current_language
from hotline.i18n import gettext as _
from hotline.models import Attachment, InboundStatus, RequestType, utcnow
from hotline.services import chat, gate, leader_mailboxes, storage, tracking
from hotline.services.intake import letters, store
from hotline.services.validation import whole_number
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key, error_body, send_attachment, translate_error
from workflows import inbound

bp = Blueprint("mailbox", __name__)
LETTER_FIELDS = ("name", "phone", "address", "title", "content", "type", "mailbox", "publish")
RECEIPT_COOKIE = "mailbox_receipt"


@bp.app_template_global()
def case_files(case) -> list[Attachment]:
    """The files of a case the citizen sees on the tracking page (not an internal note's)."""
    return storage.for_citizen(case.id)


# ---------------------------------------------------------------- the mayor's mailbox


def _form_page(form: dict, *, error: str | None = None, error_field: str | None = None,
               status: int = 200):
    issued = challenge.issue(current_app.config["SECRET_KEY"], utcnow())
    return render_template("public/mailbox.html", form=form, error=error,
                           error_field=error_field, challenge=issued,
                           honeypot=challenge.HONEYPOT_FIELD, types=list(RequestType),
                           mailboxes=leader_mailboxes.list_mailboxes(active_only=True),
                           max_files=current_app.config["UPLOAD_MAX_FILES"],
                           max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024)), status


@bp.get("/mailbox")
def mailbox():
    """The mailbox form with a fresh challenge; ``?to=`` chooses the leader's mailbox."""
    return _form_page({"type": "complaint", "mailbox": request.args.get("to", "")[:40]})


@bp.post("/mailbox")
def mailbox_submit():
    """Check the letter, its files and the challenge; store it, make it a case, show the number and
    code."""
    form = {k: request.form.get(k, "") for k in LETTER_FIELDS}
    client = client_key()
    files = [(f.filename or "", f.read()) for f in request.files.getlist("attachments")
             if f.filename]
    try:
        challenge.check_honeypot(request.form.get(challenge.HONEYPOT_FIELD))
    except challenge.ChallengeError:
        gate.count_rejection("mailbox")
        abort(403)
    try:
        letter, uploads = letters.check_letter(form, files)
    except InvalidInput as exc:
        return _form_page(form, error=translate_error(exc), error_field=exc.field, status=422)
    token = request.form.get("challenge_token", "")
    try:
        token_id = challenge.token_id(token)
    except challenge.ChallengeError as exc:
        gate.count_rejection("mailbox")
        return _form_page(form, error=_refusal(exc), error_field="answer", status=403)
    earlier = store.find_message("mailbox", token_id)
    if earlier is not None and earlier.sender == letter.phone \
            and _holds_receipt(earlier.id, token_id):  # the same letter sent again
        return _result(earlier)
    try:
        if not gate.use_token_once(token_id, challenge.DEFAULT_MAX_AGE):
            raise challenge.ChallengeError("expired")
        challenge.verify(current_app.config["SECRET_KEY"], token, request.form.get("answer"),
                         utcnow())
        gate.throttle_public("mailbox", client)
    except challenge.ChallengeError as exc:
        gate.count_rejection("mailbox")
        status = 403 if exc.code == "tampered" else 422
        return _form_page(form, error=_refusal(exc), error_field="answer", status=status)
    with unit_of_work():  # the letter and its files are kept before anything can fail
        receipt = letters.receive_letter(letter, uploads, token_id, client,
                                         language=current_language())
    if receipt.claimed:
        inbound.process_claimed(receipt.id)
    response = make_response(_result(receipt.message))
    response.set_cookie(RECEIPT_COOKIE, _receipts().dumps([receipt.id, token_id]),
                        max_age=challenge.DEFAULT_MAX_AGE, path="/mailbox", httponly=True,
                        samesite="Lax", secure=current_app.config["SECURE_COOKIES"])
    return response


def _receipts() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="mailbox-receipt")


def _refusal(exc: challenge.ChallengeError) -> str:
    """The challenge's refusal in the page's language (the ids are listed here for the
    catalogue: the challenge library knows no Flask)."""
    return {"wrong": _("答案不正确，请重新计算"), "expired": _("验证题已过期，请刷新页面后重试"),
            "too_fast": _("提交过快，请稍候再提交"),
            "tampered": _("验证信息无效，请刷新页面后重试")}.get(exc.code, _("提交被拒绝"))


def _holds_receipt(letter_id: int, token_id: str) -> bool:
    """Whether this browser sent that letter with that challenge: the signed receipt cookie
    set on its first answer names both. Only then does a resubmission show the earlier
    letter's number and code."""
    try:
        held = _receipts().loads(request.cookies.get(RECEIPT_COOKIE, ""),
                                 max_age=challenge.DEFAULT_MAX_AGE)
    except BadSignature:
        return False
    return held == [letter_id, token_id]


def _result(message):
    case = message.case
    repeat = message.status == InboundStatus.APPENDED
    attachments = storage.of_case(case.id) if case is not None else []
    return render_template("public/mailbox_done.html", message=message, case=case,
                           repeat=repeat, attachments=attachments)


@bp.get("/track/<number>/files/<int:attachment_id>")
def citizen_file(number: str, attachment_id: int):
    """A file of the citizen's case, for whoever holds the case's query code."""
    case = tracking.find(number, request.args.get("code", ""), client_key())
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment not in storage.for_citizen(case.id):
        abort(404)
    return send_attachment(attachment)


# ---------------------------------------------------------------- web chat


@bp.get("/chat")
def chat_page():
    """The web chat on a page of its own."""
    return render_template("public/chat.html")


def json_errors(view: Callable) -> Callable:
    """Chat endpoints answer in JSON, refusals included."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except ServiceError as exc:
            headers = {}
            if "retry_after" in exc.params:
                headers["Retry-After"] = str(exc.params["retry_after"])
            return error_body(exc.code, translate_error(exc), exc.field), exc.status, headers
    return wrapped


def _data() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("「{field}」不能为空", field="content")
    return data


def _line(line) -> dict:
    return {"id": line.id, "author": line.author, "body": line.body,
            "at": line.created_at.isoformat().replace("+00:00", "Z"),
            "label": line.author_label if line.author == "agent" else None}


def _token() -> str | None:
    return request.headers.get("X-Chat-Token")


@bp.post("/chat/conversations")
@json_errors
def chat_start():
    """Open a conversation with the citizen's first line; answers its id and secret token."""
    data = _data()
    with unit_of_work():
        conversation, token = chat.start(data.get("text"), data.get("name"), data.get("phone"),
                                         client_key(), language=current_language())
    return {"id": conversation.public_id, "token": token, "status": conversation.status,
            "lines": [_line(line) for line in chat.lines(conversation)]}, 201


@bp.post("/chat/conversations/<public_id>/lines")
@json_errors
def chat_say(public_id: str):
    """Add the citizen's line to their conversation."""
    conversation = chat.for_citizen(public_id, _token())
    gate.throttle_chat_line(conversation.public_id)
    with unit_of_work():
        line = chat.citizen_says(conversation, _data().get("text"))
    return {"line": _line(line)}, 201


@bp.get("/chat/conversations/<public_id>/lines")
@json_errors
def chat_lines(public_id: str):
    """The conversation's new lines (the citizen's browser polls this)."""
    conversation = chat.for_citizen(public_id, _token())
    after = whole_number(request.args.get("after") or "0", "after", minimum=0,
                         maximum=MAX_ROW_ID)
    return {"status": conversation.status,
            "case": conversation.case.number if conversation.case_id else None,
            "lines": [_line(line) for line in chat.lines(conversation, after)]}
