"""Quality inspection (智能质检): the database side of :mod:`hotline.quality`.

The checks themselves are pure (``hotline/quality``); this module gathers what they need
(earlier replies of the department, the citizen's own numbers, the classifier's view of the
record), decides who may see them, and keeps one relevance model per process.
"""

from __future__ import annotations

import threading

from sqlalchemy import select

from hotline.errors import Forbidden, InvalidInput
from hotline.extensions import db
from hotline.models import Case, CaseAction, CaseEvent, Category, Role
from hotline.quality.checks import Finding, Inspection, inspect_reply
from hotline.quality.records import RecordFacts, inspect_record
from hotline.quality.relevance import RelevanceModel
from hotline.services import routing, suggestions
from hotline.services.actors import Actor
from hotline.services.kb.search import DEFAULT_SYNONYMS

# How many of a department's latest replies a new one is compared with for copies.
EARLIER_REPLIES = 200
MAX_TEXT = 20_000
_lock = threading.Lock()
_models: dict[str, RelevanceModel] = {}


def model() -> RelevanceModel:
    """The relevance model for the configured gazetteer, built once per process, with the
    knowledge base's built-in synonym groups (groups admins add later are not in it: the
    model is not rebuilt while the process runs)."""
    path = routing.gazetteer_path()
    if path not in _models:
        with _lock:
            if path not in _models:
                _models[path] = RelevanceModel.load(gazetteer=path,
                                                    synonyms=DEFAULT_SYNONYMS)
    return _models[path]


def sees_inspection(actor: Actor) -> bool:
    """Supervisors and admins see the inspection of every reply and record."""
    return actor.has_role(Role.SUPERVISOR, Role.ADMIN)


def check_text(actor: Actor, request: object, reply: object,
               request_type: object = None) -> Inspection:
    """Inspect a reply to a request given as text (the API): no earlier replies compared."""
    if not actor.has_role(Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT):
        raise Forbidden("只有督办员、管理员和承办单位可以使用质检")
    for field, value in (("request", request), ("reply", reply)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("「{field}」不能为空", field=field)
        if len(value) > MAX_TEXT:
            raise InvalidInput("「{field}」过长", field=field)
    return inspect_reply(model(), request, reply, request_type=request_type)


def _earlier_replies(case: Case, before_event: int | None = None) -> list[str]:
    query = (select(CaseEvent.note)
             .where(CaseEvent.action == CaseAction.REPLY, CaseEvent.case_id != case.id,
                    CaseEvent.note.is_not(None))
             .order_by(CaseEvent.id.desc()).limit(EARLIER_REPLIES))
    if before_event is not None:
        query = query.where(CaseEvent.id < before_event)
    if case.department_id is not None:
        query = query.where(CaseEvent.department_id == case.department_id)
    return list(db.session.scalars(query))


def check_reply(case: Case, reply: str | None, *, before_event: int | None = None
                ) -> Inspection:
    """Inspect a reply to ``case`` before it is sent (or the one it has): relevance, copies
    of the department's earlier replies (those before ``before_event`` when given), content,
    wording and others' personal data."""
    own = [case.citizen.phone] if case.citizen and case.citizen.phone else []
    return inspect_reply(model(), case.content, reply, request_type=case.request_type,
                         earlier=_earlier_replies(case, before_event), own_numbers=own)


def record_facts(case: Case) -> tuple[RecordFacts, str | None]:
    """What the record checks need about ``case``, with the classifier's suggestions for its
    text, and the classifier version that made them."""
    category = case.category
    suggested = []
    version = None
    if category is not None:
        names = {c.code: c for c in db.session.scalars(select(Category))}
        suggestion = suggestions.suggest(case.content, case.address)
        version = suggestion.model_version
        for option in suggestion.categories:
            known = names.get(option.code)
            parent = known.parent.code if known is not None and known.parent else None
            suggested.append((option.code, option.score, parent, option.name))
    facts = RecordFacts(
        channel=case.channel, address=case.address, district=case.district,
        place_bound=bool(category and category.local_routing),
        category=category.code if category else None,
        category_parent=category.parent.code if category and category.parent else None,
        category_name=category.full_name if category else None,
        callback=case.citizen.phone if case.citizen else None, suggested=suggested)
    return facts, version


def check_record(case: Case) -> tuple[list[Finding], RecordFacts, str | None]:
    """The findings of the agent's record of ``case``, the facts and the model version."""
    facts, version = record_facts(case)
    return inspect_record(facts), facts, version
