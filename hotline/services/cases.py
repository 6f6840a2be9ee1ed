"""The case lifecycle: registration and every action that moves a case between states.

One table (:data:`RULES`) says who may take each action from which states; one handler per
action checks its input, changes the case and records the event. :func:`perform` runs
them in the caller's transaction (the view, job or command opens ``unit_of_work()``), so a
refused action writes nothing and two people acting on the same case at the same moment
never both succeed (the row's version decides when the caller commits).

Nothing here commits. The scheduler hears of a change through ``signals.case_changed``,
booked with :func:`~hotline.unit_of_work.after_commit` so it fires only once the change
is committed. A registration also records the routing correction when the agent or system
chose other than the suggestion it saw, so every path (console, API, channels) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from flask import current_app
from sqlalchemy import select

from hotline.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from hotline.extensions import db
from hotline.models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    Category,
    Channel,
    Citizen,
    CorrectionSource,
    Department,
    RequestType,
    Role,
    Satisfaction,
    Urgency,
    utcnow,
)
from hotline.services import (
    corrections,
    deadlines,
    directory,
    followup,
    routing,
    signals,
    webhooks,
)
from hotline.services.actors import Actor
from hotline.services.kb import articles as kb_articles
from hotline.services.kb import usage as kb_usage
from hotline.services.numbering import new_query_code, next_case_number
from hotline.services.validation import (
    choice,
    optional_text,
    phone_number,
    required_text,
    whole_number,
)
from hotline.unit_of_work import after_commit

S = CaseStatus
A = CaseAction
NOTE_MAX = 2000
TITLE_MAX = 200
CODE_MAX = 40  # a category or department code


@dataclass(frozen=True)
class ActionRule:
    """Who may take an action, and from which states."""

    roles: frozenset[Role]
    sources: frozenset[CaseStatus]
    citizen: bool = False


def _rule(roles: set[Role], sources: set[CaseStatus], citizen: bool = False) -> ActionRule:
    return ActionRule(frozenset(roles), frozenset(sources), citizen)


CENTRE = {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}
OVERSIGHT = {Role.SUPERVISOR, Role.ADMIN}
DEPT = {Role.DEPARTMENT}

RULES: dict[CaseAction, ActionRule] = {
    A.DISPATCH: _rule(CENTRE, {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS}),
    A.ACCEPT: _rule(DEPT, {S.DISPATCHED}),
    A.RETURN: _rule(DEPT, {S.DISPATCHED, S.IN_PROGRESS}),
    A.EXTEND: _rule(DEPT, {S.DISPATCHED, S.IN_PROGRESS}),
    A.APPROVE_EXTENSION: _rule(OVERSIGHT, {S.DISPATCHED, S.IN_PROGRESS}),
    A.REJECT_EXTENSION: _rule(OVERSIGHT, {S.DISPATCHED, S.IN_PROGRESS}),
    A.REPLY: _rule(DEPT, {S.IN_PROGRESS}),
    A.RESOLVE: _rule(CENTRE, {S.REGISTERED}),
    A.CLOSE: _rule(CENTRE, {S.REPLIED}, citizen=True),
    A.SUPERVISE: _rule(OVERSIGHT, {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS, S.REPLIED}),
    A.REOPEN: _rule(OVERSIGHT, {S.REPLIED, S.CLOSED}, citizen=True),
    A.MERGE: _rule(CENTRE, {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS}),
}
ACTIONS = tuple(RULES)

#: the fields each action takes from a person; anything else is refused by name, and the
#: event's ``data`` is always built here, never taken from the client
ACTION_PARAMS: dict[str, frozenset[str]] = {
    "dispatch": frozenset({"department", "category", "note"}),
    "accept": frozenset(),
    "return": frozenset({"reason"}),
    "extend": frozenset({"days", "reason"}),
    "approve_extension": frozenset({"note"}),
    "reject_extension": frozenset({"note"}),
    "reply": frozenset({"content"}),
    "resolve": frozenset({"content", "kb_article"}),
    "close": frozenset({"note"}),
    "supervise": frozenset({"note"}),
    "reopen": frozenset({"reason"}),
    "merge": frozenset({"into", "note"}),
}


def check_params(action: str, params: dict[str, Any]) -> None:
    """Refuse a field the action does not take (the first one named), ``data`` included:
    what an event records is decided by the server."""
    allowed = ACTION_PARAMS.get(action)
    if allowed is None:
        raise NotFound("未知的操作：{action}", action=action)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidInput("未知字段：{names}", field=unknown[0], names=", ".join(unknown))


# ---------------------------------------------------------------- registration

@dataclass
class NewCase:
    """A request as it arrives from any channel, before it is checked."""

    content: Any
    channel: Any = Channel.PHONE.value
    title: Any = None
    citizen_name: Any = None
    citizen_phone: Any = None
    citizen_contact: Any = None
    address: Any = None
    request_type: Any = None
    urgency: Any = None
    category: Any = None
    department: Any = None
    external_ref: Any = None
    recording_ref: Any = None
    #: the routing the person (or system) was shown before choosing; when the chosen
    #: category or department differs, the registration records a correction
    suggested_category: Any = None
    suggested_department: Any = None
    #: where the correction came from: ``intake`` for a person registering a request
    correction_source: CorrectionSource = CorrectionSource.INTAKE


def register_case(actor: Actor, new: NewCase, *, now: datetime | None = None) -> Case:
    """Check a new request, give it a number and query code, dispatch it if a department is
    named, and record a routing correction when the choice differs from the suggestion the
    caller saw; all in the caller's transaction."""
    if not (actor.kind == "system" or actor.has_role(*CENTRE)):
        raise Forbidden("只有话务员、督办员或管理员可以登记工单")
    now = now or utcnow()
    fields = _checked_new_case(new)
    _refuse_second_registration(fields["channel"], fields["external_ref"])
    department = _department_by_code(new.department) if new.department else None
    # Nothing is written until the case is complete: one INSERT, flushed at the end, carries
    # the case as it ends up (registered, or dispatched at once) instead of an INSERT then
    # an UPDATE, and gives the caller its id. The number is taken last, so a failure in the
    # routing or deadline work above does not use one up.
    with db.session.no_autoflush:
        case, registered = _insert_case(actor, fields, now)
        events = [registered]
        if department is not None:
            events.append(_dispatch_to(case, actor, department, note=None, now=now))
        case.number = next_case_number(db.session, now, current_app.config["TIMEZONE"])
    db.session.flush()
    _record_intake_correction(case, actor, fields, new.correction_source)
    _registration_timeline[case] = events
    _announce(case, A.REGISTER)
    return case


def _record_intake_correction(case: Case, actor: Actor, fields: dict[str, Any],
                              source: CorrectionSource) -> None:
    """The registration went elsewhere than the suggestion shown: keep it for training."""
    suggested = {"suggested_category": fields["suggested_category"],
                 "suggested_department": fields["suggested_department"]}
    if not any(suggested.values()):
        return
    corrections.record_correction(
        case.id, chosen_category=case.category.code if case.category else None,
        chosen_department=case.department.code if case.department else None,
        source=source, actor_id=actor.user_id, **suggested)


def _announce(case: Case, action: CaseAction) -> None:
    """The change is complete: offer its events to event push (in this transaction), and
    tell the scheduler once it commits (once per case, however many actions it takes)."""
    publish(case)
    after_commit(signals.case_changed.send, case.id, action=action,
                 key=("case_changed", case.id))


def _refuse_second_registration(channel: Channel, external_ref: str | None) -> None:
    """A channel's reference (a call id) registers one case (a unique index holds it)."""
    if external_ref and db.session.scalar(select(Case.number).where(
            Case.channel == channel, Case.external_ref == external_ref)) is not None:
        raise Conflict("该来源编号已登记过工单", field="external_ref")


def _checked_new_case(new: NewCase) -> dict[str, Any]:
    max_chars = current_app.config["CONTENT_MAX_CHARS"]
    content = required_text(new.content, "content", max_chars=max_chars)
    title = optional_text(new.title, "title", max_chars=TITLE_MAX) or _title_from(content)
    category = _category_by_code(new.category) if new.category else None
    return {
        "content": content,
        "title": title,
        "channel": choice(new.channel, Channel, "channel", Channel.PHONE),
        "request_type": choice(new.request_type, RequestType, "type", RequestType.CONSULTATION),
        "urgency": choice(new.urgency, Urgency, "urgency", Urgency.NORMAL),
        "address": optional_text(new.address, "address", max_chars=300),
        "category": category,
        "citizen_name": optional_text(new.citizen_name, "name", max_chars=100),
        "citizen_phone": phone_number(new.citizen_phone),
        "citizen_contact": optional_text(new.citizen_contact, "contact", max_chars=200),
        "external_ref": optional_text(new.external_ref, "external_ref", max_chars=120),
        "recording_ref": optional_text(new.recording_ref, "recording_ref", max_chars=200),
        "suggested_category": optional_text(new.suggested_category, "suggested_category",
                                            max_chars=CODE_MAX),
        "suggested_department": optional_text(new.suggested_department,
                                              "suggested_department", max_chars=CODE_MAX),
    }


def _title_from(content: str) -> str:
    first_line = content.splitlines()[0]
    return first_line[:30] + ("…" if len(first_line) > 30 else "")


def _insert_case(actor: Actor, fields: dict[str, Any],
                 now: datetime) -> tuple[Case, CaseEvent]:
    citizen = _citizen_for(fields)
    place = routing.locate(fields["address"], fields["content"])
    case = Case(
        query_code=new_query_code(),
        channel=fields["channel"],
        title=fields["title"],
        content=fields["content"],
        address=fields["address"],
        district=place.district if place else None,
        street=place.street if place else None,
        request_type=fields["request_type"],
        urgency=fields["urgency"],
        status=S.REGISTERED,
        category=fields["category"],
        citizen=citizen,
        created_by_id=actor.user_id,
        external_ref=fields["external_ref"],
        recording_ref=fields["recording_ref"],
        created_at=now,
        updated_at=now,
    )
    db.session.add(case)
    # no flush: the event points at the case object and gets its id when both are written
    return case, record(case, actor, A.REGISTER, from_status=None, now=now)


def _citizen_for(fields: dict[str, Any]) -> Citizen | None:
    name, phone = fields["citizen_name"], fields["citizen_phone"]
    contact = fields["citizen_contact"]
    if not (name or phone or contact):
        return None
    citizen = Citizen(name=name, phone=phone, contact=contact)
    db.session.add(citizen)
    return citizen


# ---------------------------------------------------------------- look-ups

def visible_cases(actor: Actor):
    """A SELECT of the cases the actor may see: a department sees only its own."""
    query = select(Case)
    if not actor.sees_everything:
        query = query.where(Case.department_id == (actor.department_id or -1))
    return query


def get_case(actor: Actor, number: str) -> Case:
    """The case with this number, or NotFound when it is unknown or not the actor's."""
    # populate_existing: a case kept loaded after an earlier commit in this session is read
    # again, so an action always decides on the row as it stands now.
    case = db.session.scalars(visible_cases(actor).where(Case.number == str(number))
                              .execution_options(populate_existing=True)).first()
    if case is None:
        raise NotFound("工单 {number} 不存在", number=number)
    return case


# The events a registration just committed are the whole timeline of its new case, so the
# answer to the registration needs no read-back. Any later event on the same object drops
# the entry (see record()); weak keys let it go with the object.
_registration_timeline: WeakKeyDictionary[Case, list[CaseEvent]] = WeakKeyDictionary()
# Events recorded on a case that event push has not yet seen; publish() hands them over once
# the change is complete (the case then has its id, number and final state).
_unpublished: WeakKeyDictionary[Case, list[CaseEvent]] = WeakKeyDictionary()


def timeline(case: Case, *, public_only: bool) -> list[CaseEvent]:
    """The case's events in order; the citizen sees only the public ones."""
    events = _registration_timeline.get(case)
    if events is not None:
        return [e for e in events if e.public or not public_only]
    query = case.events.select().order_by(CaseEvent.id)
    if public_only:
        query = query.where(CaseEvent.public.is_(True))
    return list(db.session.scalars(query))


def record(case: Case, actor: Actor, action: CaseAction, *, from_status: CaseStatus | None,
           note: str | None = None, public: bool = True, data: dict | None = None,
           now: datetime | None = None, department_id: int | None = None) -> CaseEvent:
    """Write the event for a change that is being made to a case in this transaction.

    The event names the case's department, or ``department_id`` when the change takes the
    case away from the department that made it (a return)."""
    _registration_timeline.pop(case, None)
    event = CaseEvent(
        case=case, at=now or utcnow(), actor_id=actor.user_id, actor_label=actor.label,
        action=action, from_status=from_status, to_status=case.status,
        department_id=department_id or case.department_id, note=note, public=public,
        data=data or {},
    )
    db.session.add(event)
    _unpublished.setdefault(case, []).append(event)
    return event


def publish(case: Case) -> None:
    """Write the event pushes of the events just recorded on ``case`` into this
    transaction. Every service that records case events calls it once its change is
    complete: registration, :func:`perform` and :func:`rate` here, the escalation sweep."""
    webhooks.push(_unpublished.pop(case, ()))


# ---------------------------------------------------------------- actions

def perform(actor: Actor, number: str, action: CaseAction | str,
            params: dict[str, Any] | None = None, *, expected_version: int | None = None,
            now: datetime | None = None) -> Case:
    """Take one action on a case, or refuse it with the reason and change nothing."""
    params = params or {}
    rule = RULES.get(action)
    if rule is None:
        raise NotFound("未知的操作：{action}", action=action)
    action = A(action)
    now = now or utcnow()
    case = get_case(actor, number)
    _check_allowed(actor, rule, action)
    _check_version(case, expected_version)
    if case.status not in rule.sources:
        raise Conflict("工单当前状态为「{status}」，不能执行「{action}」",
                       status=case.status.value, action=action)
    HANDLERS[action](case, actor, params, now)
    case.updated_at = now
    _announce(case, action)
    return case


def _check_allowed(actor: Actor, rule: ActionRule, action: str) -> None:
    if actor.kind == "system" or (actor.kind == "citizen" and rule.citizen):
        return
    if actor.role not in rule.roles:
        raise Forbidden("您的角色不能执行「{action}」", action=action)


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != case.version:
        raise StaleVersion("工单已被他人修改，请刷新后重试")


def _note(params: dict[str, Any], field: str, *, required: bool) -> str | None:
    check = required_text if required else optional_text
    return check(params.get(field), field, max_chars=NOTE_MAX)


def _dispatch(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    if case.status != S.REGISTERED and not actor.has_role(*OVERSIGHT) and actor.kind != "system":
        raise Forbidden("只有督办员可以改派已派发的工单")
    code = params.get("department")
    if not code:
        raise InvalidInput("「{field}」不能为空", field="department")
    department = _department_by_code(code)
    if department.id == case.department_id:
        raise InvalidInput("工单已在该单位办理", field="department")
    before = (case.category.code if case.category else None,
              case.department.code if case.department else None)
    if params.get("category"):
        case.category = _category_by_code(params["category"])
    if before[1] is not None:  # a re-dispatch corrects the earlier routing
        corrections.record_correction(
            case.id, suggested_category=before[0],
            chosen_category=case.category.code if case.category else None,
            suggested_department=before[1], chosen_department=department.code,
            source=CorrectionSource.REDISPATCH, actor_id=actor.user_id)
    _dispatch_to(case, actor, department, note=_note(params, "note", required=False), now=now)


def _dispatch_to(case: Case, actor: Actor, department: Department, *, note: str | None,
                 now: datetime) -> CaseEvent:
    previous = case.status
    case.department = department
    case.department_id = department.id
    case.status = S.DISPATCHED
    case.dispatched_at = now
    case.accepted_at = None
    case.overdue = False
    deadlines.on_dispatch(case, now)
    return record(case, actor, A.DISPATCH, from_status=previous, note=note, now=now,
           data={"department": department.code,
                 "category": case.category.code if case.category else None})


def _accept(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    previous = case.status
    case.status = S.IN_PROGRESS
    case.accepted_at = now
    record(case, actor, A.ACCEPT, from_status=previous, now=now)


def _return(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    reason = _note(params, "reason", required=True)
    deadlines.check_return_allowed(case, now)
    previous, department = case.status, case.department
    case.status = S.REGISTERED
    case.department_id = None
    case.return_count += 1
    case.pending_extension_days = case.pending_extension_reason = None
    deadlines.clear(case)
    record(case, actor, A.RETURN, from_status=previous, note=reason, public=False, now=now,
           department_id=department.id, data={"department": department.code})


def _extend(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    limit = deadlines.max_extension_days()
    days = whole_number(params.get("days"), "days", minimum=1, maximum=limit)
    reason = _note(params, "reason", required=True)
    if case.pending_extension_days:
        raise Conflict("已有待审批的延期申请")
    case.pending_extension_days = days
    case.pending_extension_reason = reason
    record(case, actor, A.EXTEND, from_status=case.status, note=reason, public=False, now=now,
           data={"days": days})


def _decide_extension(approve: bool) -> Callable[[Case, Actor, dict[str, Any], datetime], None]:
    def handler(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
        days = case.pending_extension_days
        if not days:
            raise Conflict("没有待审批的延期申请")
        note = _note(params, "note", required=False)
        if approve:
            deadlines.extend(case, days)
            case.extension_days += days
        case.pending_extension_days = case.pending_extension_reason = None
        action = A.APPROVE_EXTENSION if approve else A.REJECT_EXTENSION
        record(case, actor, action, from_status=case.status, note=note, public=approve,
               now=now, data={"days": days})
    return handler


def _reply(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    content = required_text(params.get("content"), "content",
                            max_chars=current_app.config["CONTENT_MAX_CHARS"])
    previous = case.status
    case.status = S.REPLIED
    case.answer = content
    case.replied_at = now
    case.satisfaction = None
    followup.on_reply(case, now)
    record(case, actor, A.REPLY, from_status=previous, note=content, now=now)


def _resolve(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    # answered from the knowledge base: the article's answer is the reply unless one is given
    article = None
    if params.get("kb_article") not in (None, ""):
        article = kb_usage.article_for_answer(params["kb_article"], kb_articles.today_local())
    content = required_text(params.get("content") or (article.answer if article else None),
                            "content", max_chars=current_app.config["CONTENT_MAX_CHARS"])
    previous = case.status
    case.status = S.CLOSED
    case.answer = content
    case.replied_at = case.closed_at = now
    data = kb_usage.record_use(article, case, actor, now) if article else None
    record(case, actor, A.RESOLVE, from_status=previous, note=content, now=now, data=data)


def _close(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    previous = case.status
    case.status = S.CLOSED
    case.closed_at = now
    record(case, actor, A.CLOSE, from_status=previous, note=_note(params, "note", required=False),
           now=now, data=_system_data(actor, params))


def _supervise(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    note = _note(params, "note", required=True)
    case.supervised = True
    case.supervise_note = note
    record(case, actor, A.SUPERVISE, from_status=case.status, note=note, public=False, now=now,
           data=_system_data(actor, params))


def _system_data(actor: Actor, params: dict[str, Any]) -> dict:
    """Event data passed in by the system itself (an escalation); never a person's."""
    data = params.get("data") if actor.kind == "system" else None
    return dict(data) if isinstance(data, dict) else {}


def _reopen(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    reason = _note(params, "reason", required=True)
    previous = case.status
    case.status = S.IN_PROGRESS if case.department_id else S.REGISTERED
    case.reopen_count += 1
    case.closed_at = None
    case.satisfaction = None
    case.overdue = False
    deadlines.on_reopen(case, now)
    record(case, actor, A.REOPEN, from_status=previous, note=reason, now=now)


def _merge(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    into_number = params.get("into")
    if not into_number:
        raise InvalidInput("「{field}」不能为空", field="into")
    target = db.session.scalars(select(Case).where(Case.number == str(into_number))).first()
    if target is None:
        raise InvalidInput("要并入的工单 {number} 不存在", field="into", number=into_number)
    if target.id == case.id:
        raise InvalidInput("不能把工单并入它自己", field="into")
    if not target.is_open:
        raise Conflict("只能并入未办结的工单，{number} 的状态为「{status}」",
                       number=target.number, status=target.status.value)
    previous = case.status
    case.status = S.MERGED
    case.merged_into_id = target.id
    deadlines.clear(case)
    note = _note(params, "note", required=False)
    record(case, actor, A.MERGE, from_status=previous, note=note, now=now,
           data={"into": target.number})
    record(target, actor, A.MERGED_IN, from_status=target.status, public=False, now=now,
           data={"from": case.number})


HANDLERS: dict[CaseAction, Callable[[Case, Actor, dict[str, Any], datetime], None]] = {
    A.DISPATCH: _dispatch,
    A.ACCEPT: _accept,
    A.RETURN: _return,
    A.EXTEND: _extend,
    A.APPROVE_EXTENSION: _decide_extension(approve=True),
    A.REJECT_EXTENSION: _decide_extension(approve=False),
    A.REPLY: _reply,
    A.RESOLVE: _resolve,
    A.CLOSE: _close,
    A.SUPERVISE: _supervise,
    A.REOPEN: _reopen,
    A.MERGE: _merge,
}


def allowed_actions(actor: Actor, case: Case) -> list[str]:
    """The actions the actor could take on the case now: the buttons a page shows."""
    allowed = []
    for action, rule in RULES.items():
        if actor.role in rule.roles and case.status in rule.sources:
            allowed.append(action)
    if A.DISPATCH in allowed and case.status != S.REGISTERED and not actor.has_role(*OVERSIGHT):
        allowed.remove(A.DISPATCH)
    if not case.pending_extension_days:
        allowed = [a for a in allowed if a not in (A.APPROVE_EXTENSION, A.REJECT_EXTENSION)]
    elif A.EXTEND in allowed:
        allowed.remove(A.EXTEND)
    return allowed


def rate(case: Case, satisfaction: Satisfaction, comment: str | None, *,
         now: datetime | None = None, actor: Actor | None = None) -> Case:
    """Record the citizen's rating; dissatisfied reopens, otherwise a replied case closes."""
    now = now or utcnow()
    actor = actor or Actor.citizen()
    if case.status not in (S.REPLIED, S.CLOSED) or case.satisfaction is not None:
        raise Conflict("该工单当前不能评价")
    if case.status == S.CLOSED and case.answer is None:
        raise Conflict("该工单当前不能评价")
    case.satisfaction = satisfaction
    record(case, actor, A.FEEDBACK, from_status=case.status, note=comment, public=True,
           now=now, data={"satisfaction": satisfaction.value})
    if satisfaction == Satisfaction.DISSATISFIED:
        reason = "市民不满意" + (f"：{comment}" if comment else "")
        _reopen(case, actor, {"reason": reason}, now)
    elif case.status == S.REPLIED:
        _close(case, actor, {}, now)
    case.updated_at = now
    _announce(case, A.FEEDBACK)
    return case


# ---------------------------------------------------------------- reference data

def _department_by_code(code: Any) -> Department:
    department = directory.active_department(code)
    if department is None:
        raise InvalidInput("未知的承办单位代码：{code}", field="department", code=str(code))
    return department


def _category_by_code(code: Any) -> Category:
    category = directory.active_category(code)
    if category is None:
        raise InvalidInput("未知的诉求分类代码：{code}", field="category", code=str(code))
    return category
