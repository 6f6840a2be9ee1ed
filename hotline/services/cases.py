"""The case lifecycle: every action that moves a registered case between states.

One table (:data:`RULES`) says who may take each action from which states; one handler per
action checks its input, changes the case and records the event. :func:`perform` runs
them in the caller's transaction (the view, job or command opens ``unit_of_work()``), so a
refused action writes nothing and two people acting on the same case at the same moment
never both succeed (the row's version decides when the caller commits).

Nothing here commits. The scheduler hears of a change through ``signals.case_changed``,
booked with :func:`~hotline.unit_of_work.after_commit` so it fires only once the change
is committed. Registration, which makes a case, is :mod:`hotline.services.registration`.
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
    CorrectionSource,
    Department,
    Role,
    Satisfaction,
    utcnow,
)
from hotline.services import (
    citizen_notices,
    corrections,
    deadlines,
    directory,
    followup,
    involvement,
    signals,
    webhooks,
)
from hotline.services.actors import Actor
from hotline.services.kb import articles as kb_articles
from hotline.services.kb import usage as kb_usage
from hotline.services.validation import (
    optional_text,
    required_text,
    whole_number,
)
from hotline.unit_of_work import after_commit

S = CaseStatus
A = CaseAction
NOTE_MAX = 2000


@dataclass(frozen=True)
class ActionRule:
    """Who may take an action, and from which states."""

    roles: frozenset[Role]
    sources: frozenset[CaseStatus]
    citizen: bool = False
    #: False for an action that only adds to the timeline (a note): the case row and its
    #: version stay as they are, so a reply form open elsewhere is not made stale
    touches_case: bool = True


def _rule(roles: set[Role], sources: set[CaseStatus], citizen: bool = False,
          touches_case: bool = True) -> ActionRule:
    return ActionRule(frozenset(roles), frozenset(sources), citizen, touches_case)


CENTRE = {Role.AGENT, Role.SUPERVISOR, Role.ADMIN}
OVERSIGHT = {Role.SUPERVISOR, Role.ADMIN}
DEPT = {Role.DEPARTMENT}
STAFF = CENTRE | DEPT

RULES: dict[CaseAction, ActionRule] = {
    # a department dispatches only as a district government passing its case on to one of
    # its street offices (二级派单); see _pass_down
    A.DISPATCH: _rule(STAFF, {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS}),
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
    A.RECALL: _rule(DEPT, {S.DISPATCHED, S.IN_PROGRESS}),
    A.NOTE: _rule(STAFF, {S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS, S.REPLIED},
                  touches_case=False),
}
ACTIONS = tuple(RULES)

#: the fields each action takes from a person; anything else is refused by name, and the
#: event's ``data`` is always built here, never taken from the client
ACTION_PARAMS: dict[str, frozenset[str]] = {
    "dispatch": frozenset({"department", "category", "note", "assist"}),
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
    "recall": frozenset({"reason"}),
    "note": frozenset({"content"}),
}
#: the fields that carry a list (a form sends them as repeated values)
LIST_PARAMS = frozenset({"assist"})
#: the actions of a department that does not lead the case: the district over it (recall,
#: note) and an assisting one (note)
NOT_LEAD_ACTIONS = frozenset({A.RECALL, A.NOTE})


def check_params(action: str, params: dict[str, Any]) -> None:
    """Refuse a field the action does not take (the first one named), ``data`` included:
    what an event records is decided by the server."""
    allowed = ACTION_PARAMS.get(action)
    if allowed is None:
        raise NotFound("未知的操作：{action}", action=action)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidInput("未知字段：{names}", field=unknown[0], names=", ".join(unknown))


# ---------------------------------------------------------------- look-ups

def visible_condition(actor: Actor):
    """The condition on ``Case`` selecting the cases the actor may see (None: every case):
    a department sees its own, its street offices', the ones it passed on and the ones it
    assists on."""
    if actor.sees_everything:
        return None
    return involvement.visible_condition(actor.department_id or -1)


def visible_cases(actor: Actor):
    """A SELECT of the cases the actor may see (see :func:`visible_condition`)."""
    condition = visible_condition(actor)
    return select(Case) if condition is None else select(Case).where(condition)


def can_see(actor: Actor, case: Case) -> bool:
    """Whether the actor may still see the case (a return or a re-dispatch takes it away
    from a department)."""
    return actor.sees_everything or involvement.part(actor.department_id, case) is not None


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


def remember_registration(case: Case, events: list[CaseEvent]) -> None:
    """Keep the events of a registration as its new case's whole timeline."""
    _registration_timeline[case] = events


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
    citizen_notices.note(event, actor.kind)  # told by publish()
    return event


def publish(case: Case) -> None:
    """Write the event pushes and the citizen's messages of the events just recorded on
    ``case`` into this transaction. Every service that records case events calls it once
    its change is complete: registration, :func:`perform` and :func:`rate` here, the
    escalation sweep, intake's appended messages, a leader's mailbox."""
    webhooks.push(_unpublished.pop(case, ()))
    citizen_notices.write_noted(case)


def announce(case: Case, action: CaseAction) -> None:
    """The change is complete: offer its events to event push (in this transaction), and
    tell the scheduler once it commits (once per case, however many actions it takes)."""
    publish(case)
    after_commit(signals.case_changed.send, case.id, action=action,
                 key=("case_changed", case.id))



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
    _check_lead(actor, case, action)
    _check_version(case, expected_version)
    if case.status not in rule.sources:
        raise Conflict("工单当前状态为「{status}」，不能执行「{action}」",
                       status=case.status.value, action=action)
    HANDLERS[action](case, actor, params, now)
    if not rule.touches_case:
        publish(case)
        return case
    case.updated_at = now
    announce(case, action)
    return case


def _check_lead(actor: Actor, case: Case, action: CaseAction) -> None:
    """A department acts on a case it leads; the district over it and an assisting
    department see it and only recall it or add a note."""
    if actor.role != Role.DEPARTMENT or action in NOT_LEAD_ACTIONS:
        return
    if case.department_id != actor.department_id:
        raise Forbidden("该工单由{department}主办，只有主办单位可以执行「{action}」",
                        department=case.department.name if case.department else "—",
                        action=action)


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
    if actor.role == Role.DEPARTMENT:
        _pass_down(case, actor, params, now)
        return
    if case.status != S.REGISTERED and not actor.has_role(*OVERSIGHT) and actor.kind != "system":
        raise Forbidden("只有督办员可以改派已派发的工单")
    code = params.get("department")
    if not code:
        raise InvalidInput("「{field}」不能为空", field="department")
    department = directory.routable_department(code)
    if department.id == case.department_id:
        raise InvalidInput("工单已在该单位办理", field="department")
    assist = (involvement.checked_assist(params["assist"], department)
              if "assist" in params else None)
    before = (case.category.code if case.category else None,
              case.department.code if case.department else None)
    if params.get("category"):
        case.category = directory.routable_category(params["category"])
    if before[1] is not None:  # a re-dispatch corrects the earlier routing
        corrections.record_correction(
            case.id, suggested_category=before[0],
            chosen_category=case.category.code if case.category else None,
            suggested_department=before[1], chosen_department=department.code,
            source=CorrectionSource.REDISPATCH, actor_id=actor.user_id)
    dispatch_to(case, actor, department, note=_note(params, "note", required=False), now=now,
                assist=assist)


def dispatch_to(case: Case, actor: Actor, department: Department, *, note: str | None,
                now: datetime, assist: list[Department] | None = None) -> CaseEvent:
    """Send the case to ``department`` (the lead) from the centre, with ``assist`` as its
    assisting departments (None keeps those it has); both clocks start now."""
    previous = case.status
    case.department = department
    case.department_id = department.id
    case.via_department_id = None
    involvement.set_assisting(case, case.assisting if assist is None else assist)
    case.status = S.DISPATCHED
    case.dispatched_at = now
    case.accepted_at = None
    case.overdue = False
    deadlines.on_dispatch(case, now)
    return record(case, actor, A.DISPATCH, from_status=previous, note=note, now=now,
                  data=_dispatch_data(case))


def _dispatch_data(case: Case, **extra: Any) -> dict[str, Any]:
    data = {"department": case.department.code,
            "category": case.category.code if case.category else None, **extra}
    if case.assisting:
        data["assist"] = involvement.codes(case.assisting)
    return data


def _pass_down(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    """A district government passes its case on to one of its street offices (二级派单).

    The street becomes the lead; the district keeps the case in view and may recall it.
    The clocks are the case's, not a department's: they keep running from the centre's
    dispatch (no new sign-for or handling period), and the status stays as it is."""
    if "category" in params:
        raise InvalidInput("区级派单不能修改分类", field="category")
    code = params.get("department")
    if not code:
        raise InvalidInput("「{field}」不能为空", field="department")
    streets = involvement.streets_of(actor.department_id)
    if not streets:
        raise Forbidden("只有下设街道等下级单位的区级单位可以派单")
    street = directory.routable_department(code)
    if street.id not in {s.id for s in streets}:
        raise InvalidInput("只能派给本单位的下级单位", field="department")
    if "assist" in params:
        involvement.set_assisting(case, involvement.checked_assist(
            params["assist"], street, among=streets))
    district = case.department
    case.department = street
    case.department_id = street.id
    case.via_department_id = district.id
    involvement.set_assisting(case, case.assisting)
    record(case, actor, A.DISPATCH, from_status=case.status,
           note=_note(params, "note", required=False), now=now,
           data=_dispatch_data(case, by=district.code))


def _recall(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    """The district takes back a case it passed on to a street; the clocks run on."""
    if case.via_department_id is None or case.via_department_id != actor.department_id:
        raise Forbidden("只有把工单派给下级单位的区级单位可以收回")
    reason = _note(params, "reason", required=True)
    street = case.department
    case.department = case.via_department
    case.department_id = case.via_department_id
    case.via_department_id = None
    record(case, actor, A.RECALL, from_status=case.status, note=reason, public=False, now=now,
           data={"department": case.department.code, "from": street.code})


def _add_note(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    """An internal note: an assisting department's part, or anyone's remark on the case;
    the case itself does not change."""
    content = _note(params, "content", required=True)
    record(case, actor, A.NOTE, from_status=case.status, note=content, public=False, now=now,
           department_id=actor.department_id,
           data={"part": involvement.part(actor.department_id, case) or "centre"})


def _accept(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    previous = case.status
    case.status = S.IN_PROGRESS
    case.accepted_at = now
    record(case, actor, A.ACCEPT, from_status=previous, now=now)


def _return(case: Case, actor: Actor, params: dict[str, Any], now: datetime) -> None:
    reason = _note(params, "reason", required=True)
    deadlines.check_return_allowed(case, now)
    if case.via_department_id is not None:
        _return_to_district(case, actor, reason, now)
        return
    previous, department = case.status, case.department
    case.status = S.REGISTERED
    case.department_id = None
    case.return_count += 1
    case.pending_extension_days = case.pending_extension_reason = None
    deadlines.clear(case)
    record(case, actor, A.RETURN, from_status=previous, note=reason, public=False, now=now,
           department_id=department.id, data={"department": department.code})


def _return_to_district(case: Case, actor: Actor, reason: str, now: datetime) -> None:
    """A street office's return (退单) of a case its district passed on goes back to the
    district, not to the centre; it counts as the street's return."""
    street = case.department
    case.department = case.via_department
    case.department_id = case.via_department_id
    case.via_department_id = None
    case.return_count += 1
    record(case, actor, A.RETURN, from_status=case.status, note=reason, public=False, now=now,
           department_id=street.id, data={"department": street.code,
                                          "to": case.department.code})


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
    A.RECALL: _recall,
    A.NOTE: _add_note,
}


def allowed_actions(actor: Actor, case: Case, now: datetime | None = None) -> list[str]:
    """The actions the actor could take on the case now: the buttons a page shows (no
    return once the return window has passed)."""
    allowed = []
    for action, rule in RULES.items():
        if actor.role in rule.roles and case.status in rule.sources:
            allowed.append(action)
    if actor.role == Role.DEPARTMENT:
        allowed = _department_actions(actor, case, allowed)
    elif A.DISPATCH in allowed and case.status != S.REGISTERED and not actor.has_role(*OVERSIGHT):
        allowed.remove(A.DISPATCH)
    if not case.pending_extension_days:
        allowed = [a for a in allowed if a not in (A.APPROVE_EXTENSION, A.REJECT_EXTENSION)]
    elif A.EXTEND in allowed:
        allowed.remove(A.EXTEND)
    if A.RETURN in allowed and not deadlines.return_open(case, now or utcnow()):
        allowed.remove(A.RETURN)
    return allowed


def _department_actions(actor: Actor, case: Case, allowed: list[CaseAction]) -> list:
    """A department's buttons: the lead's actions (dispatch only for a district with
    streets), recall for the district that passed the case on, a note for each part."""
    if case.department_id != actor.department_id:
        allowed = [a for a in allowed if a in NOT_LEAD_ACTIONS]
    if A.DISPATCH in allowed and not involvement.streets_of(actor.department_id):
        allowed.remove(A.DISPATCH)
    if A.RECALL in allowed and case.via_department_id != actor.department_id:
        allowed.remove(A.RECALL)
    return allowed


def dispatch_targets(actor: Actor) -> list[Department]:
    """The departments the actor's dispatch form offers: a district's own street offices,
    or every active department for the centre."""
    if actor.role == Role.DEPARTMENT:
        return involvement.streets_of(actor.department_id)
    return directory.list_departments(active_only=True)


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
    announce(case, A.FEEDBACK)
    return case
