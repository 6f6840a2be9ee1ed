"""Manual quality inspection (人工质检): the rubric admins define, the weekly random samples
supervisors draw and score, and the sample scores that join the department assessment.

A sample is stratified and reproducible: each department's replied cases of a week (for
replies) or each agent's registered cases of a week (for records) are drawn apart, with a
random generator seeded by the target, the department code or user name, and the week. The
same week drawn again, on any server, picks the same cases.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import (
    Case,
    CaseAction,
    CaseEvent,
    Department,
    InspectionSample,
    InspectionTarget,
    Role,
    RubricItem,
    User,
    utcnow,
)
from hotline.services import periods
from hotline.services.actors import Actor
from hotline.services.validation import optional_text, required_text

DEFAULT_SIZE = 5
MAX_SIZE = 50
MAX_WEIGHT = 100.0
MAX_POINTS = 100
# The rubric a new installation starts with (admins change it on /admin/rubric).
DEFAULT_RUBRIC = {
    InspectionTarget.REPLY: (
        ("relevance", "针对所诉问题答复", 3.0, 10), ("action", "说明办理措施和结果", 3.0, 10),
        ("basis", "依据准确", 2.0, 5), ("manner", "用语规范文明", 2.0, 5)),
    InspectionTarget.RECORD: (
        ("complete", "要素完整（地点、联系方式）", 3.0, 10),
        ("category", "分类准确", 3.0, 10), ("summary", "诉求记录准确简明", 2.0, 5)),
}


def _may_inspect(actor: Actor) -> None:
    if not actor.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有督办员和管理员可以质检")


def target_of(value: object, field: str = "target") -> InspectionTarget:
    """The inspection target named by ``value`` (reply or record), else a 422 naming it."""
    try:
        return InspectionTarget(str(value or InspectionTarget.REPLY))
    except ValueError:
        raise InvalidInput("「{field}」无效", field=field) from None


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def parse_week(value: object, *, now: datetime | None = None) -> date:
    """The week named by any of its days (``YYYY-MM-DD``); this week when empty."""
    if value in (None, ""):
        return week_of(periods.local_date(now or utcnow()))
    try:
        return week_of(date.fromisoformat(str(value)))
    except ValueError:
        raise InvalidInput("「{field}」不是有效日期", field="week") from None


def seed_for(target: InspectionTarget, stratum: str, week: date) -> int:
    """The random seed of one stratum's sample: the same for the same target, stratum, week."""
    digest = hashlib.sha256(f"{target.value}|{stratum}|{week.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def draw_from(ids: list[int], size: int, seed: int) -> list[int]:
    """``size`` of ``ids`` (all when fewer), chosen by a generator seeded with ``seed``."""
    ordered = sorted(set(ids))
    return sorted(random.Random(seed).sample(ordered, min(size, len(ordered))))


# ---------------------------------------------------------------- the population

def _week_bounds(week: date) -> tuple[datetime, datetime]:
    return periods.day_start(week), periods.day_start(week + timedelta(days=7))


def population(target: InspectionTarget, week: date) -> dict[str, list[int]]:
    """Case ids that may be drawn in ``week``, by stratum (department code for replies, user
    name for records): cases a department replied to, or cases an agent registered."""
    start, end = _week_bounds(week)
    if target == InspectionTarget.REPLY:
        query = (select(Department.code, CaseEvent.case_id)
                 .join(Department, Department.id == CaseEvent.department_id)
                 .where(CaseEvent.action == CaseAction.REPLY, CaseEvent.at >= start,
                        CaseEvent.at < end))
    else:
        query = (select(User.username, Case.id).join(User, User.id == Case.created_by_id)
                 .where(Case.created_at >= start, Case.created_at < end,
                        User.role == Role.AGENT))
    out: dict[str, set[int]] = defaultdict(set)
    for stratum, case_id in db.session.execute(query):
        out[stratum].add(case_id)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _stratum_ids(target: InspectionTarget, stratum: str) -> dict[str, int | None]:
    if target == InspectionTarget.REPLY:
        dept = db.session.scalar(select(Department.id).where(Department.code == stratum))
        return {"department_id": dept, "agent_id": None}
    user = db.session.scalar(select(User.id).where(User.username == stratum))
    return {"department_id": None, "agent_id": user}


def draw(actor: Actor, target: InspectionTarget, week: date, *, size: int = DEFAULT_SIZE,
         stratum: str | None = None) -> list[InspectionSample]:
    """Draw the week's sample (``size`` per stratum; only ``stratum`` when given) and keep
    it; drawing again adds only cases not drawn yet, so the sample never changes under a
    supervisor who is scoring it."""
    _may_inspect(actor)
    if not 1 <= size <= MAX_SIZE:
        raise InvalidInput("「{field}」须在 1 到 {max} 之间", field="size", max=MAX_SIZE)
    strata = population(target, week)
    if stratum is not None:
        strata = {stratum: strata.get(stratum, [])}
    kept = {s.case_id for s in db.session.scalars(select(InspectionSample).where(
        InspectionSample.target == target, InspectionSample.week == week))}
    for name, ids in strata.items():
        owner = _stratum_ids(target, name)
        for case_id in draw_from(ids, size, seed_for(target, name, week)):
            if case_id not in kept:
                db.session.add(InspectionSample(target=target, week=week, case_id=case_id,
                                                drawn_by_id=actor.user_id, **owner))
                kept.add(case_id)
    db.session.flush()
    return samples(actor, target, week)


def samples(actor: Actor, target: InspectionTarget, week: date) -> list[InspectionSample]:
    """The week's drawn cases, by department or agent, then case."""
    _may_inspect(actor)
    return list(db.session.scalars(
        select(InspectionSample).where(InspectionSample.target == target,
                                       InspectionSample.week == week)
        .order_by(InspectionSample.department_id, InspectionSample.agent_id,
                  InspectionSample.case_id)))


def get_sample(actor: Actor, sample_id: int) -> InspectionSample:
    """One drawn case (404 when there is none)."""
    _may_inspect(actor)
    sample = db.session.get(InspectionSample, sample_id)
    if sample is None:
        raise NotFound("没有这条抽检记录")
    return sample


# ---------------------------------------------------------------- the rubric and scores

def rubric(target: InspectionTarget, *, active_only: bool = True) -> list[RubricItem]:
    """The rubric items of ``target`` in their order."""
    query = select(RubricItem).where(RubricItem.target == target)
    if active_only:
        query = query.where(RubricItem.active.is_(True))
    return list(db.session.scalars(query.order_by(RubricItem.position, RubricItem.id)))


def ensure_default_rubric() -> int:
    """Add the shipped rubric for each target that has none; returns how many items."""
    added = 0
    for target, items in DEFAULT_RUBRIC.items():
        if rubric(target, active_only=False):
            continue
        for position, (code, name, weight, top) in enumerate(items):
            db.session.add(RubricItem(target=target, code=code, name=name, weight=weight,
                                      max_score=top, position=position))
            added += 1
    db.session.flush()
    return added


def _number(value: object, field: str, *, low: float, high: float) -> float:
    try:
        number = float(str(value))
    except ValueError:
        raise InvalidInput("「{field}」须为数字", field=field) from None
    if not low <= number <= high:
        raise InvalidInput("「{field}」须在 {low:g} 到 {high:g} 之间", field=field, low=low,
                           high=high)
    return number


def save_item(actor: Actor, target: InspectionTarget, fields: dict[str, Any],
              item_id: int | None = None) -> RubricItem:
    """Add a rubric item or change one (admins): code, name, weight, max score, order."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("只有管理员可以修改评分细则")
    item = db.session.get(RubricItem, item_id) if item_id is not None else None
    if item_id is not None and item is None:
        raise NotFound("没有这条评分细则")
    code = required_text(fields.get("code"), "code", max_chars=40)
    clash = db.session.scalar(select(RubricItem.id).where(
        RubricItem.target == target, RubricItem.code == code))
    if clash is not None and clash != item_id:
        raise InvalidInput("「{field}」已存在", field="code")
    if item is None:
        item = RubricItem(target=target)
        db.session.add(item)
    item.code = code
    item.name = required_text(fields.get("name"), "name", max_chars=100)
    item.guidance = optional_text(fields.get("guidance"), "guidance", max_chars=1000)
    item.weight = _number(fields.get("weight", 1), "weight", low=0, high=MAX_WEIGHT)
    item.max_score = int(_number(fields.get("max_score", 5), "max_score", low=1,
                                 high=MAX_POINTS))
    item.position = int(_number(fields.get("position", 0), "position", low=0, high=1000))
    item.active = str(fields.get("active", "1")) not in ("0", "false", "False", "")
    db.session.flush()
    return item


def snapshot(items: list[RubricItem]) -> list[dict[str, Any]]:
    """The rubric as it stands, kept with a score: what each item was, weighed and out of."""
    return [{"code": i.code, "name": i.name, "weight": i.weight, "max_score": i.max_score}
            for i in items]


def scored_under_older_rubric(sample: InspectionSample, current: list[dict[str, Any]]
                              ) -> bool:
    """True when ``sample`` was scored under a rubric other than ``current`` (a snapshot).

    Scores are not recomputed when admins change the rubric: a score is a supervisor's
    judgement of the items shown then; recomputing would invent points for items never
    judged (or drop judged ones) and change assessments already published. The score stays,
    the page says which rubric it was given under, and a supervisor may score again."""
    return sample.score is not None and sample.rubric is not None and sample.rubric != current


def older_rubrics(drawn: list[InspectionSample], target: InspectionTarget
                  ) -> dict[int, list[dict[str, Any]]]:
    """Sample id → the rubric it was scored under, for those scored under another rubric
    than ``target``'s current one."""
    current = snapshot(rubric(target))
    return {s.id: s.rubric for s in drawn if scored_under_older_rubric(s, current)}


def weighted_score(items: list[RubricItem], points: dict[str, float]) -> float | None:
    """0-100: the weighted mean of each item's points over its maximum."""
    total = sum(i.weight for i in items)
    if not total:
        return None
    return 100 * sum(i.weight * points[i.code] / i.max_score for i in items) / total


def score(actor: Actor, sample_id: int, points: dict[str, Any], note: object = None
          ) -> InspectionSample:
    """Score a drawn case on every active item of its rubric (all required, 0..max)."""
    sample = get_sample(actor, sample_id)
    items = rubric(sample.target)
    if not items:
        raise InvalidInput("尚未定义评分细则", field="points")
    if not isinstance(points, dict):
        raise InvalidInput("「{field}」须为对象", field="points")
    unknown = sorted(set(points) - {i.code for i in items})
    if unknown:
        raise InvalidInput("「{field}」不是评分项", field=f"points.{unknown[0]}")
    given: dict[str, float] = {}
    for item in items:
        if points.get(item.code) in (None, ""):
            raise InvalidInput("「{field}」不能为空", field=f"points.{item.code}")
        given[item.code] = _number(points[item.code], f"points.{item.code}", low=0,
                                   high=item.max_score)
    sample.points = given
    sample.score = weighted_score(items, given)
    sample.rubric = snapshot(items)
    sample.note = optional_text(note, "note", max_chars=2000)
    sample.scored_by_id = actor.user_id
    sample.scored_at = utcnow()
    db.session.flush()
    return sample


@dataclass
class Mean:
    """The mean manual score of a department or agent and how many samples it is over."""

    score: float
    count: int


def scores_by(target: InspectionTarget, start: date, end: date) -> dict[str, Mean]:
    """Mean manual score per department code (replies) or user name (records) of the weeks
    that overlap local days ``start``..``end``."""
    if target == InspectionTarget.REPLY:
        owner = select(Department.code, InspectionSample.score).join(
            Department, Department.id == InspectionSample.department_id)
    else:
        owner = select(User.username, InspectionSample.score).join(
            User, User.id == InspectionSample.agent_id)
    rows = db.session.execute(owner.where(
        InspectionSample.target == target, InspectionSample.score.is_not(None),
        InspectionSample.week >= week_of(start), InspectionSample.week <= end))
    sums: dict[str, list[float]] = defaultdict(list)
    for key, value in rows:
        sums[key].append(value)
    return {k: Mean(sum(v) / len(v), len(v)) for k, v in sums.items()}


def department_scores(start: date, end: date) -> dict[str, float]:
    """Each department's mean manual reply score in the period: its assessment part."""
    return {k: m.score for k, m in scores_by(InspectionTarget.REPLY, start, end).items()}
