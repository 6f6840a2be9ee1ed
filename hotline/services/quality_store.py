"""The automatic inspection kept (智能质检结果): stored once per sent reply and per record,
read by the case page and the weekly trends instead of being computed on every view.

A reply's result is made when it is sent (the reply form), or by the scheduled job for
replies that came another way (the API, channels); a record's result is made by the job
after registration, and again when the record's text or the classifier version changed
since (then the case page makes it on first view). The database is the source of truth
for what is still to inspect: :func:`inspect_pending` finds it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select

from hotline.extensions import db
from hotline.models import (
    Case,
    CaseAction,
    CaseEvent,
    Department,
    InspectionTarget,
    QualityResult,
    User,
    utcnow,
)
from hotline.models.enums import FindingCode, Severity
from hotline.quality.checks import Finding
from hotline.quality.relevance import SIGNALS, VERSION, Relevance
from hotline.services import periods, quality, sampling, suggestions
from hotline.services.actors import Actor

PENDING_BATCH = 200
TREND_WEEKS = 8
RELEVANCE_SIGNALS = SIGNALS


def text_hash(*parts: object) -> str:
    """What a result was computed from, as one hash (a change means compute again)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(joined.encode()).hexdigest()


def _stored(findings: list[Finding]) -> list[dict[str, Any]]:
    return [{"code": f.code.value, "severity": f.severity.value, "message": f.message,
             "params": f.params} for f in findings]


def findings_of(result: QualityResult) -> list[Finding]:
    """The stored findings as :class:`Finding` (translated where they are shown)."""
    return [Finding(FindingCode(f["code"]), Severity(f["severity"]), f["message"],
                    f.get("params") or {}) for f in result.findings or []]


def _worst(findings: list[Finding]) -> Severity | None:
    order = list(Severity)
    return max((f.severity for f in findings), key=order.index, default=None)


# ---------------------------------------------------------------- replies

def store_reply(case: Case, event: CaseEvent) -> QualityResult:
    """Inspect the reply ``event`` of ``case`` (against the department's replies before it)
    and keep the result."""
    inspection = quality.check_reply(case, event.note, before_event=event.id)
    result = QualityResult(
        target=InspectionTarget.REPLY, case_id=case.id, event_id=event.id,
        department_id=event.department_id or case.department_id,
        relevance=inspection.relevance.score, findings=_stored(inspection.findings),
        finding_count=len(inspection.findings), worst=inspection.worst,
        detail={k: getattr(inspection.relevance, k) for k in RELEVANCE_SIGNALS},
        text_hash=text_hash(case.content, event.note), model_version=VERSION,
        created_at=event.at)
    db.session.add(result)
    db.session.flush()
    return result


def _last_reply(case: Case) -> CaseEvent | None:
    return db.session.scalars(select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.action == CaseAction.REPLY)
        .order_by(CaseEvent.id.desc()).limit(1)).first()


def store_last_reply(case: Case) -> QualityResult | None:
    """Keep the inspection of ``case``'s latest reply (the reply form calls this)."""
    event = _last_reply(case)
    return store_reply(case, event) if event is not None else None


@dataclass
class ReplyView:
    """A stored reply inspection as the case page shows it."""

    relevance: Relevance
    findings: list[Finding] = field(default_factory=list)


def reply_inspection(actor: Actor, case: Case) -> ReplyView | None:
    """The kept inspection of ``case``'s latest reply, for those who see inspections (made
    and kept now when it is missing); None otherwise."""
    if not case.answer or not quality.sees_inspection(actor):
        return None
    event = _last_reply(case)
    if event is None:  # a direct resolution: its text is inspected as it stands
        inspection = quality.check_reply(case, case.answer)
        return ReplyView(inspection.relevance, inspection.findings)
    result = db.session.scalars(select(QualityResult).where(
        QualityResult.event_id == event.id)).first() or store_reply(case, event)
    signals = {k: float((result.detail or {}).get(k, 0.0)) for k in RELEVANCE_SIGNALS}
    return ReplyView(Relevance(result.relevance or 0.0, **signals), findings_of(result))


# ---------------------------------------------------------------- records

def _record_hash(case: Case) -> str:
    return text_hash(case.content, case.address, case.district, case.category_id,
                     case.channel, case.citizen.phone if case.citizen else None)


def store_record(case: Case) -> QualityResult:
    """Inspect the agent's record of ``case`` (with the classifier's view) and keep it in
    place of any earlier result."""
    findings, facts, version = quality.check_record(case)
    db.session.execute(delete(QualityResult).where(
        QualityResult.case_id == case.id, QualityResult.target == InspectionTarget.RECORD))
    result = QualityResult(
        target=InspectionTarget.RECORD, case_id=case.id, agent_id=case.created_by_id,
        department_id=case.department_id, findings=_stored(findings),
        finding_count=len(findings), worst=_worst(findings),
        detail={"suggested": [list(s) for s in facts.suggested]},
        text_hash=_record_hash(case), model_version=version, created_at=case.created_at)
    db.session.add(result)
    db.session.flush()
    return result


def _active_version() -> str | None:
    record = suggestions.active_record()
    return record.version if record is not None else None


def record_findings(actor: Actor, case: Case) -> list[Finding] | None:
    """The kept checks of the agent's record of ``case`` for supervisors and admins; made
    again (and kept) only when the record or the classifier version changed."""
    if not quality.sees_inspection(actor):
        return None
    result = db.session.scalars(select(QualityResult).where(
        QualityResult.case_id == case.id, QualityResult.target == InspectionTarget.RECORD)
    ).first()
    fresh = (result is not None and result.text_hash == _record_hash(case)
             and (result.model_version == _active_version() or case.category_id is None))
    return findings_of(result if fresh else store_record(case))


def kept_for(drawn: list[Case], target: InspectionTarget) -> dict[int, QualityResult]:
    """The latest kept result of each case (for the sample page), by case id; made and kept
    now for a case that has none yet (the job had not come to it)."""
    if not drawn:
        return {}
    rows = db.session.scalars(select(QualityResult).where(
        QualityResult.case_id.in_([c.id for c in drawn]), QualityResult.target == target)
        .order_by(QualityResult.id))
    out = {r.case_id: r for r in rows}
    for case in drawn:
        if case.id not in out:
            made = store_last_reply(case) if target == InspectionTarget.REPLY \
                else store_record(case)
            if made is not None:
                out[case.id] = made
    return out


# ---------------------------------------------------------------- the job

def inspect_pending(limit: int = PENDING_BATCH) -> dict[str, int]:
    """Inspect up to ``limit`` sent replies and records that have no kept result yet."""
    replies = db.session.execute(
        select(CaseEvent, Case).join(Case, Case.id == CaseEvent.case_id)
        .outerjoin(QualityResult, QualityResult.event_id == CaseEvent.id)
        .where(CaseEvent.action == CaseAction.REPLY, QualityResult.id.is_(None))
        .order_by(CaseEvent.id).limit(limit)).all()
    for event, case in replies:
        store_reply(case, event)
    records = db.session.scalars(
        select(Case).outerjoin(QualityResult, and_(
            QualityResult.case_id == Case.id,
            QualityResult.target == InspectionTarget.RECORD))
        .where(QualityResult.id.is_(None), Case.created_by_id.is_not(None))
        .order_by(Case.id).limit(limit)).all()
    for case in records:
        store_record(case)
    return {"replies": len(replies), "records": len(records)}


# ---------------------------------------------------------------- weekly trends

@dataclass
class Week:
    """One week of one department or agent: automatic results and manual scores."""

    inspected: int = 0
    flagged: int = 0            # with a warning or a serious finding
    relevance_sum: float = 0.0
    manual: float | None = None
    manual_count: int = 0

    @property
    def flagged_rate(self) -> float | None:
        return self.flagged / self.inspected if self.inspected else None

    @property
    def relevance(self) -> float | None:
        return self.relevance_sum / self.inspected if self.inspected else None


@dataclass
class Trend:
    """Weeks of one department (replies) or agent (records), oldest first."""

    key: str
    name: str
    weeks: list[Week]

    @property
    def inspected(self) -> int:
        return sum(w.inspected for w in self.weeks)


def trend_weeks(now: datetime | None = None, count: int = TREND_WEEKS) -> list[date]:
    """The Mondays of the last ``count`` weeks, oldest first (this week last)."""
    this = sampling.week_of(periods.local_date(now or utcnow()))
    return [this - timedelta(weeks=k) for k in range(count - 1, -1, -1)]


def trends(target: InspectionTarget, *, now: datetime | None = None,
           count: int = TREND_WEEKS) -> tuple[list[date], list[Trend]]:
    """Per department (replies) or agent (records) and week: how many results were kept,
    the share flagged, the mean relevance and the mean manual score; busiest first."""
    weeks = trend_weeks(now, count)
    since = periods.day_start(weeks[0])
    if target == InspectionTarget.REPLY:
        owner = (Department.code, Department.name)
        query = select(*owner, QualityResult.created_at, QualityResult.worst,
                       QualityResult.relevance).join(
            Department, Department.id == QualityResult.department_id)
    else:
        owner = (User.username, User.display_name)
        query = select(*owner, QualityResult.created_at, QualityResult.worst,
                       QualityResult.relevance).join(User, User.id == QualityResult.agent_id)
    rows = db.session.execute(query.where(QualityResult.target == target,
                                          QualityResult.created_at >= since))
    index = {w: i for i, w in enumerate(weeks)}
    table: dict[str, list[Week]] = defaultdict(lambda: [Week() for _ in weeks])
    names: dict[str, str] = {}
    for key, name, created, worst, relevance in rows:
        week = sampling.week_of(periods.local_date(created))
        if week not in index:
            continue
        cell = table[key][index[week]]
        names[key] = name
        cell.inspected += 1
        cell.flagged += worst in (Severity.WARNING, Severity.SERIOUS)
        cell.relevance_sum += relevance or 0.0
    for i, week in enumerate(weeks):
        for key, mean in sampling.scores_by(target, week, week).items():
            cell = table[key][i]
            names.setdefault(key, key)
            cell.manual, cell.manual_count = mean.score, mean.count
    out = [Trend(k, names.get(k, k), v) for k, v in table.items()]
    out.sort(key=lambda t: (-t.inspected, t.name))
    return weeks, out
