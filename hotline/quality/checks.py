"""The automatic inspection of a department's reply (智能质检): findings a person can act on.

:func:`inspect_reply` takes plain values (the request, the reply, the request type, earlier
replies to compare with, the citizen's own numbers) and returns the relevance and a list of
:class:`Finding`. Messages are Chinese ids of the translation catalogue with their
parameters, translated where they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hotline import phones
from hotline.models.enums import FindingCode, RequestType, Severity
from hotline.quality.relevance import Relevance, RelevanceModel


def _(message: str) -> str:
    """Mark a message id for the catalogue; translated where the finding is shown."""
    return message


@dataclass(frozen=True)
class Finding:
    """One thing the inspection found: a code, how much it matters, and what to say."""

    code: FindingCode
    severity: Severity
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message in Chinese with its parameters filled in."""
        return self.message.format(**self.params)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "severity": self.severity.value, "message": self.text}


@dataclass(frozen=True)
class Inspection:
    """The relevance of a reply to its request and what was found in it."""

    relevance: Relevance
    findings: list[Finding]

    @property
    def worst(self) -> Severity | None:
        order = list(Severity)
        return max((f.severity for f in self.findings), key=order.index, default=None)

    def as_dict(self) -> dict[str, Any]:
        return {"relevance": round(self.relevance.score, 3),
                "findings": [f.as_dict() for f in self.findings]}


# Shortest acceptable reply (characters) by request type: a complaint needs what was found
# and what was done; a word of thanks answers praise.
MIN_LENGTH = {RequestType.CONSULTATION: 30, RequestType.HELP: 40, RequestType.COMPLAINT: 50,
              RequestType.REPORT: 50, RequestType.SUGGESTION: 30, RequestType.PRAISE: 10}
DEFAULT_MIN_LENGTH = 40
OFF_TOPIC = 0.15           # below: the reply probably answers something else (bench prints
                           # the share of own and other replies under it)
FAR_OFF_TOPIC = 0.08       # below: almost surely
NEAR_DUPLICATE = 0.75      # shingle Jaccard to count an earlier reply as the same text
COPIED = 0.92              # one earlier reply this close: copied
BOILERPLATE_COUNT = 3      # this many near-duplicates among earlier replies: a template
# Types that ask for something to be done (and when), and those that ask for a rule.
ACTING_TYPES = {RequestType.COMPLAINT, RequestType.REPORT, RequestType.HELP}
RULE_TYPES = {RequestType.CONSULTATION}

_ACTION = re.compile(
    r"已(?:于|经|对|将|责令|要求|安排|派|联系|组织|约谈|督促|协调|更换|修复|清理|清运|拆除|"
    r"处罚|立案|受理|下达|恢复|完成|通知|调解)|到现场|现场(?:核查|检查|查看)|责令|约谈|"
    r"督促|立案|处罚|罚款|整改|修复|更换|维修|清理|清运|调解|退还|补发|支付|安排|派员|回访|"
    r"检测|监测|查处|关停|停业")
_WHEN = re.compile(
    r"\d{1,2}月\d{1,2}[日号]|\d{4}年|\d{1,2}[日号](?:[上下]午|晚|前|起)|当[日天晚]|次日|"
    r"今[日天]|昨[日天]|本周|下周|近日|目前|现已|\d+个?工作日|\d{1,2}[点时:：]|[上下]午|"
    r"晚上|凌晨|\d+日内|\d+天内|月底|月初|年底|前已|已于")
_BASIS = re.compile(
    r"根据|按照|依据|依照|规定|政策|条例|办法|法律|法规|文件|通知|第[一二三四五六七八九十百\d]+条|"
    r"标准|细则|意见》|《")
_REFUSAL = re.compile(r"不予|不属于|不符合|无法受理|不能办理|不在.{0,6}范围")
_IMPOLITE = re.compile(
    r"自己(?:去|看着办|想办法)|不归我们管|不关我们的?事|与我们无关|别再(?:打|来|投诉)|"
    r"爱找谁找谁|少管闲事|胡说|无理取闹|刁民|找别人去|别烦|滚|闹什么|有病|懒得|"
    r"你们这些人|不要无中生有|瞎投诉|乱投诉|没空")
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[0-9Xx](?![0-9A-Za-z])")
_PUBLIC_NUMBERS = re.compile(r"^(?:0\d{2,3})?(?:12345|12315|12369|12333|12319|110|119|120|122)$")


def shingles(text: str, n: int = 3) -> frozenset[str]:
    """Character ``n``-grams of ``text`` without spaces and punctuation, for near-duplicates."""
    compact = "".join(re.findall(r"[0-9A-Za-z\u3400-\u9fff]", text))
    return frozenset(compact[i:i + n] for i in range(max(len(compact) - n + 1, 1)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|, 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _type(value: str | RequestType | None) -> RequestType | None:
    try:
        return RequestType(value) if value else None
    except ValueError:
        return None


def _relevance_findings(relevance: Relevance, kind: RequestType | None) -> list[Finding]:
    # Praise is answered by thanks, which names nothing of the request: never off-topic.
    if relevance.score >= OFF_TOPIC or kind == RequestType.PRAISE:
        return []
    severity = Severity.SERIOUS if relevance.score < FAR_OFF_TOPIC else Severity.WARNING
    return [Finding(FindingCode.OFF_TOPIC, severity,
                    _("答复与诉求的相关度低（{score}）：请核对是否回应了所诉地点、对象和问题"),
                    {"score": f"{relevance.score:.2f}"})]


def _duplicate_findings(reply: str, earlier: Iterable[str]) -> list[Finding]:
    mine = shingles(reply)
    scores = [jaccard(mine, shingles(text)) for text in earlier if text]
    close = [s for s in scores if s >= NEAR_DUPLICATE]
    if scores and max(scores) >= COPIED:
        return [Finding(FindingCode.COPIED, Severity.WARNING,
                        _("答复与此前的一条答复几乎相同（相似度 {similarity}）："
                          "请针对本件诉求答复"),
                        {"similarity": f"{max(scores):.2f}"})]
    if len(close) >= BOILERPLATE_COUNT:
        return [Finding(FindingCode.BOILERPLATE, Severity.WARNING,
                        _("答复与此前 {count} 条答复雷同，疑似模板化答复"),
                        {"count": len(close)})]
    return []


def _content_findings(reply: str, kind: RequestType | None) -> list[Finding]:
    found = []
    length = len("".join(reply.split()))
    minimum = MIN_LENGTH.get(kind, DEFAULT_MIN_LENGTH) if kind else DEFAULT_MIN_LENGTH
    if length < minimum:
        found.append(Finding(FindingCode.TOO_SHORT, Severity.WARNING,
                             _("答复过短（{length} 字，此类诉求至少 {minimum} 字）"),
                             {"length": length, "minimum": minimum}))
    if kind in ACTING_TYPES or kind is None:
        if not _ACTION.search(reply):
            found.append(Finding(FindingCode.NO_ACTION, Severity.WARNING,
                                 _("答复未说明采取了什么措施（做了什么）")))
        if not _WHEN.search(reply):
            found.append(Finding(FindingCode.NO_TIME, Severity.INFO,
                                 _("答复未说明何时办理或何时办结（时间）")))
    if (kind in RULE_TYPES or _REFUSAL.search(reply)) and not _BASIS.search(reply):
        found.append(Finding(FindingCode.NO_BASIS, Severity.WARNING,
                             _("答复未引用政策或法规依据")))
    return found


def _conduct_findings(reply: str, own_numbers: Sequence[str]) -> list[Finding]:
    found = []
    rude = sorted(set(_IMPOLITE.findall(reply)))
    if rude:
        found.append(Finding(FindingCode.IMPOLITE, Severity.SERIOUS,
                             _("答复含有不文明或推诿用语：{words}"), {"words": "、".join(rude)}))
    own = {phones.normalise(n) for n in own_numbers if n}
    others = [n for n in phones.find_in_text(reply)
              if n not in own and not _PUBLIC_NUMBERS.match(n)]
    if others:
        found.append(Finding(FindingCode.PERSONAL_DATA, Severity.SERIOUS,
                             _("答复含有他人的电话号码：{numbers}"),
                             {"numbers": "、".join(phones.mask(n) for n in others)}))
    if _ID_NUMBER.search(reply):
        found.append(Finding(FindingCode.PERSONAL_DATA, Severity.SERIOUS,
                             _("答复含有身份证号码")))
    return found


def inspect_reply(model: RelevanceModel, request: str | None, reply: str | None, *,
                  request_type: str | RequestType | None = None,
                  earlier: Iterable[str] = (), own_numbers: Sequence[str] = ()) -> Inspection:
    """Inspect ``reply`` to ``request``: relevance, copied or template text (against
    ``earlier`` replies of other cases), length, what was done and when, basis, wording and
    personal data (numbers other than ``own_numbers``, the citizen's own)."""
    request, reply = request or "", reply or ""
    kind = _type(request_type)
    relevance = model.score(request, reply)
    findings = (_relevance_findings(relevance, kind) + _duplicate_findings(reply, earlier)
                + _content_findings(reply, kind) + _conduct_findings(reply, own_numbers))
    return Inspection(relevance, findings)
