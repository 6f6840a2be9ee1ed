"""Manual quality inspection through API v1: the week's sample (draw, list) and scoring a
drawn case on the rubric; the automatic results and trends per department and agent."""

from __future__ import annotations

from typing import Any

from flask import g

from hotline.apispec import checked_body, checked_query, operation
from hotline.apispec.components import INT, OPT_STR, STR, enum_of
from hotline.blueprints.api.base import bp, json_body, token_required
from hotline.errors import Forbidden
from hotline.models import InspectionSample, InspectionTarget
from hotline.services import quality, quality_store, sampling
from hotline.unit_of_work import unit_of_work

DATE = {"type": "string", "format": "date", "description": "any day of the week (YYYY-MM-DD)"}
WEEK_QUERY = {"type": "object", "properties": {"week": DATE, "target": enum_of(InspectionTarget)}}
DRAW = {"type": "object", "additionalProperties": False, "properties": {
    "week": DATE, "target": enum_of(InspectionTarget),
    "size": {**INT, "minimum": 1, "maximum": sampling.MAX_SIZE},
    "stratum": {**STR, "description": "one department code (replies) or user name (records)"}}}
SCORE = {"type": "object", "additionalProperties": False, "required": ["points"],
         "properties": {"points": {"type": "object",
                                   "additionalProperties": {"type": ["number", "string"]},
                                   "description": "rubric item code -> points (0..max)"},
                        "note": OPT_STR}}
SAMPLE = {"type": "object", "required": ["id", "case", "week", "target"], "properties": {
    "id": INT, "case": STR, "week": DATE, "target": enum_of(InspectionTarget),
    "department": OPT_STR, "agent": OPT_STR,
    "score": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
    "points": {"type": ["object", "null"]}, "note": OPT_STR,
    "rubric": {"type": ["array", "null"], "items": {"type": "object"},
               "description": "the rubric items the score was given under (code, name, "
                              "weight, max_score); kept when admins change the rubric"}}}
SAMPLES = {"type": "object", "required": ["items"], "properties": {
    "week": DATE, "target": enum_of(InspectionTarget),
    "items": {"type": "array", "items": SAMPLE}}}
TRENDS = {"type": "object", "required": ["weeks", "items"], "properties": {
    "weeks": {"type": "array", "items": DATE}, "items": {"type": "array", "items": {
        "type": "object", "properties": {"key": STR, "name": STR, "weeks": {
            "type": "array", "items": {"type": "object"}}}}}}}


def sample_dict(s: InspectionSample) -> dict[str, Any]:
    """A drawn case as the API answers it."""
    return {"id": s.id, "case": s.case.number, "week": s.week.isoformat(),
            "target": s.target.value,
            "department": s.department.code if s.department else None,
            "agent": s.agent.username if s.agent else None,
            "score": None if s.score is None else round(s.score, 2),
            "points": s.points, "note": s.note, "rubric": s.rubric}


def _listing(target: InspectionTarget, week, items) -> dict[str, Any]:
    return {"week": week.isoformat(), "target": target.value,
            "items": [sample_dict(s) for s in items]}


@bp.get("/inspection/samples")
@operation("人工质检样本 / the week's inspection sample", "quality", answer=SAMPLES,
           query=WEEK_QUERY, errors=(403,))
@token_required
def inspection_samples():
    """The cases drawn for manual inspection in a week (replies by default)."""
    query = checked_query()
    target = sampling.target_of(query.get("target"))
    week = sampling.parse_week(query.get("week"))
    return _listing(target, week, sampling.samples(g.actor, target, week))


@bp.post("/inspection/samples")
@operation("抽取质检样本 / draw the week's sample", "quality", answer=SAMPLES, body=DRAW,
           errors=(403,), description="stratified by department (replies) or agent "
           "(records), seeded by target, stratum and week: drawing again gives the same cases")
@token_required
def inspection_draw():
    """Draw (or complete) the week's sample and answer it."""
    data = checked_body(json_body())
    target = sampling.target_of(data.get("target"))
    week = sampling.parse_week(data.get("week"))
    with unit_of_work():
        items = sampling.draw(g.actor, target, week, size=data.get("size", sampling.DEFAULT_SIZE),
                              stratum=data.get("stratum"))
        answer = _listing(target, week, items)
    return answer


@bp.post("/inspection/samples/<int:sample_id>/score")
@operation("质检评分 / score a drawn case", "quality", answer=SAMPLE, body=SCORE,
           errors=(403, 404), example={"points": {"relevance": 8, "action": 9, "basis": 4,
                                                  "manner": 5}, "note": "答复具体"})
@token_required
def inspection_score(sample_id: int):
    """Score a drawn case on every active rubric item; the score joins the assessment."""
    data = checked_body(json_body())
    with unit_of_work():
        sample = sampling.score(g.actor, sample_id, data.get("points"), data.get("note"))
        answer = sample_dict(sample)
    return answer


@bp.get("/inspection/trends")
@operation("质检趋势 / inspection results per week", "quality", answer=TRENDS,
           query={"type": "object", "properties": {"target": enum_of(InspectionTarget)}},
           errors=(403,))
@token_required
def inspection_trends():
    """Kept automatic results (count, flagged, mean relevance) and manual scores per
    department (replies) or agent (records), the last weeks."""
    if not quality.sees_inspection(g.actor):
        raise Forbidden("只有督办员和管理员可以质检")
    target = sampling.target_of(checked_query().get("target"))
    weeks, rows = quality_store.trends(target)
    return {"weeks": [w.isoformat() for w in weeks], "items": [
        {"key": t.key, "name": t.name, "weeks": [
            {"inspected": c.inspected, "flagged": c.flagged,
             "relevance": None if c.relevance is None else round(c.relevance, 3),
             "manual": None if c.manual is None else round(c.manual, 2)}
            for c in t.weeks]} for t in rows]}
