"""Checks of what an agent recorded on a case: the address a place-bound category needs,
a category the classifier strongly disagrees with, a phone case without a callback number.

Plain values in, :class:`~hotline.quality.checks.Finding` out; the service gathers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hotline.models.enums import Channel, FindingCode, Severity
from hotline.quality.checks import Finding, _

# The classifier disagrees "strongly" when its first choice scores at least this and the
# recorded category is neither among its choices nor under the same parent as the first.
STRONG_DISAGREEMENT = 0.6


@dataclass(frozen=True)
class RecordFacts:
    """What the record says, and what the classifier suggested for its text."""

    channel: str | None
    address: str | None
    district: str | None
    place_bound: bool                     # the category is routed by place (local_routing)
    category: str | None                  # code
    category_parent: str | None           # code of its parent, if any
    category_name: str | None
    callback: str | None                  # the citizen's phone number
    suggested: Sequence[tuple[str, float, str | None, str]] = ()  # code, score, parent, name


def inspect_record(facts: RecordFacts) -> list[Finding]:
    """The findings for one agent's record, most serious first."""
    found = []
    if facts.place_bound and not (facts.address or "").strip() and not facts.district:
        found.append(Finding(FindingCode.NO_ADDRESS, Severity.WARNING,
                             _("「{category}」须按属地办理，但工单没有地址"),
                             {"category": facts.category_name or facts.category or ""}))
    if facts.channel == Channel.PHONE and not (facts.callback or "").strip():
        found.append(Finding(FindingCode.NO_CALLBACK, Severity.WARNING,
                             _("电话来件没有回访号码")))
    disagreement = _disagreement(facts)
    if disagreement:
        found.append(disagreement)
    return found


def _disagreement(facts: RecordFacts) -> Finding | None:
    if not facts.category or not facts.suggested:
        return None
    code, score, parent, name = facts.suggested[0]
    if score < STRONG_DISAGREEMENT:
        return None
    family = {facts.category, facts.category_parent} - {None}
    if any(c == facts.category for c, *_ in facts.suggested) or {code, parent} & family:
        return None
    return Finding(FindingCode.CATEGORY_DISAGREES, Severity.INFO,
                   _("分类「{category}」与分类模型的判断「{suggested}」（{score}）差异较大"),
                   {"category": facts.category_name or facts.category, "suggested": name,
                    "score": f"{score:.2f}"})
