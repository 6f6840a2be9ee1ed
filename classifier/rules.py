"""Rules the hotline centre controls beside the model: forced categories and emergency words.

A keyword rule forces a category and/or a department when one of its phrases appears; an
emergency rule marks the case urgent and tells the agent which number (110/119/120...) to
transfer the caller to. Rules are plain JSON so the centre can edit them without a developer.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from classifier.errors import ClassifierError
from classifier.normalize import to_halfwidth, to_simplified


class RuleSetError(ClassifierError, ValueError):
    """A rules file or dict is malformed; the message names the rule and the field."""


@dataclass(frozen=True)
class Emergency:
    """An emergency found in a request: its kind, the number to transfer to, the phrases seen."""

    kind: str
    transfer_to: str
    matched: tuple[str, ...]
    advice: str | None = None


@dataclass(frozen=True)
class RuleResult:
    """What the rules say about one text; every field is None when no rule applies."""

    category: str | None = None
    department: str | None = None
    emergency: Emergency | None = None
    matched_rules: tuple[str, ...] = ()
    # Rules of the winning priority that name another category or department for a different
    # part of the text (a phrase nested in the winner's, like 水 in 污水, is no conflict). The
    # winner is still reported, but the text should go to a person, not be dispatched.
    conflicting_rules: tuple[str, ...] = ()

    @property
    def conflict(self) -> bool:
        """Whether rules of equal rank disagree, so nothing should be dispatched automatically."""
        return bool(self.conflicting_rules)


@dataclass(frozen=True)
class _Matcher:
    """Phrases and regexes that fire a rule, minus occurrences inside an excluded phrase."""

    phrases: tuple[str, ...] = ()
    patterns: tuple[re.Pattern, ...] = ()
    unless: tuple[str, ...] = ()

    def find(self, text: str) -> list[tuple[int, str]]:
        """Return (position, matched text) of every hit not covered by an ``unless`` phrase."""
        excluded = _spans(text, self.unless)
        hits = [(m.start(), m.group(0)) for p in self.patterns for m in p.finditer(text)]
        for phrase in self.phrases:
            start = text.find(phrase)
            while start != -1:
                hits.append((start, phrase))
                start = text.find(phrase, start + 1)
        return sorted(h for h in hits if not _covered(h, excluded))


@dataclass(frozen=True)
class KeywordRule:
    """Force a category and/or department when the matcher fires."""

    name: str
    matcher: _Matcher
    category: str | None = None
    department: str | None = None
    priority: int = 0


@dataclass(frozen=True)
class EmergencyRule:
    """Mark a request urgent and name the number to transfer the caller to."""

    kind: str
    transfer_to: str
    matcher: _Matcher
    advice: str | None = None


@dataclass
class RuleSet:
    """An ordered set of keyword and emergency rules; emergencies listed first win ties."""

    keyword_rules: list[KeywordRule] = field(default_factory=list)
    emergency_rules: list[EmergencyRule] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | os.PathLike) -> RuleSet:
        """Read rules from a UTF-8 JSON file (see classifier/data/rules.json for the format)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RuleSetError(f"找不到规则文件 / rules file not found: {path}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RuleSetError(
                f"规则文件不是有效的 UTF-8 JSON / invalid rules file {path}: {exc}"
            ) from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict) -> RuleSet:
        """Build rules from a dict with ``keyword_rules`` and ``emergency_rules`` lists."""
        if not isinstance(data, dict):
            raise RuleSetError("规则必须是 JSON 对象 / rules must be a JSON object")
        keyword = [_keyword_rule(r, i) for i, r in enumerate(data.get("keyword_rules", []))]
        emergency = [_emergency_rule(r, i) for i, r in enumerate(data.get("emergency_rules", []))]
        return cls(keyword_rules=keyword, emergency_rules=emergency)

    def apply(self, text: str | None) -> RuleResult:
        """Apply every rule to ``text``; it is normalised first, so traditional text matches too."""
        text = _prepare(text)
        if not text:
            return RuleResult()
        fired = [(rule, hits) for rule in self.keyword_rules if (hits := rule.matcher.find(text))]
        # Higher priority first, then the longest phrase (more specific), then file order.
        fired.sort(key=lambda rh: (-rh[0].priority, -max(len(h[1]) for h in rh[1])))
        category = next(((r, h) for r, h in fired if r.category), None)
        department = next(((r, h) for r, h in fired if r.department), None)
        conflicting = _conflicts(fired, category, "category") + _conflicts(
            fired, department, "department"
        )
        return RuleResult(
            category=category[0].category if category else None,
            department=department[0].department if department else None,
            emergency=self._emergency(text),
            matched_rules=tuple(r.name for r, _ in fired),
            conflicting_rules=tuple(dict.fromkeys(conflicting)),
        )

    def _emergency(self, text: str) -> Emergency | None:
        for rule in self.emergency_rules:
            hits = rule.matcher.find(text)
            if hits:
                matched = tuple(dict.fromkeys(h[1] for h in hits))
                return Emergency(rule.kind, rule.transfer_to, matched, rule.advice)
        return None


def _conflicts(fired, winner, attribute: str) -> tuple[str, ...]:
    """Names of the winner and of every equal-priority rule that sets ``attribute`` otherwise
    from a phrase outside the winner's hits; empty when there is no such rule."""
    if winner is None:
        return ()
    rule, hits = winner
    spans = [(start, start + len(phrase)) for start, phrase in hits]
    others = [
        other.name
        for other, other_hits in fired
        if other.priority == rule.priority
        and getattr(other, attribute) not in (None, getattr(rule, attribute))
        and not all(_covered(hit, spans) for hit in other_hits)
    ]
    return (rule.name, *others) if others else ()


def _prepare(text: str | None) -> str:
    return to_simplified(to_halfwidth(text)).lower() if text else ""


def _spans(text: str, phrases: tuple[str, ...]) -> list[tuple[int, int]]:
    spans = []
    for phrase in phrases:
        start = text.find(phrase)
        while start != -1:
            spans.append((start, start + len(phrase)))
            start = text.find(phrase, start + 1)
    return spans


def _covered(hit: tuple[int, str], spans: list[tuple[int, int]]) -> bool:
    start, end = hit[0], hit[0] + len(hit[1])
    return any(s <= start and end <= e for s, e in spans)


def _strings(rule: dict, key: str, where: str) -> tuple[str, ...]:
    values = rule.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise RuleSetError(
            f"{where}: “{key}” 必须是非空字符串列表 / must be a list of non-empty strings"
        )
    return tuple(_prepare(v.strip()) for v in values)


def _matcher(rule: dict, where: str) -> _Matcher:
    if not isinstance(rule, dict):
        raise RuleSetError(f"{where}: 规则必须是对象 / a rule must be an object")
    phrases = _strings(rule, "keywords", where)
    sources = rule.get("patterns", [])
    try:
        patterns = tuple(re.compile(_prepare(p)) for p in _strings(rule, "patterns", where))
    except re.error as exc:
        raise RuleSetError(f"{where}: 正则表达式有误 / bad pattern in {sources}: {exc}") from None
    if not phrases and not patterns:
        raise RuleSetError(f"{where}: 需要 keywords 或 patterns / needs keywords or patterns")
    return _Matcher(phrases, patterns, _strings(rule, "unless", where))


def _keyword_rule(rule: dict, index: int) -> KeywordRule:
    where = f"keyword_rules[{index}]"
    matcher = _matcher(rule, where)
    name = str(rule.get("name") or where)
    category, department = rule.get("category"), rule.get("department")
    if not category and not department:
        raise RuleSetError(
            f"{where} ({name}): 需要 category 或 department / needs a category or a department"
        )
    priority = rule.get("priority", 0)
    if not isinstance(priority, int):
        raise RuleSetError(f"{where} ({name}): priority 必须是整数 / priority must be an integer")
    return KeywordRule(name, matcher, category or None, department or None, priority)


def _emergency_rule(rule: dict, index: int) -> EmergencyRule:
    where = f"emergency_rules[{index}]"
    matcher = _matcher(rule, where)
    kind, transfer_to = rule.get("kind"), rule.get("transfer_to")
    if not kind or not transfer_to:
        raise RuleSetError(f"{where}: 需要 kind 和 transfer_to / needs kind and transfer_to")
    return EmergencyRule(str(kind), str(transfer_to), matcher, rule.get("advice"))
