"""Risk awareness (风险感知): volume spikes, clusters of similar requests, top terms, and the
bulk merge and dispatch a supervisor applies to a cluster.

A category or district is flagged when its volume in the last 24 hours (or 7 days) is well
above its usual level over the 28 days (8 weeks) before, by :func:`reporting.hotspots.
volume_spikes`. Clusters (the same problem at the same place, many citizens) and top terms
take seconds over thousands of texts, so a job computes them (:func:`analyse`) and the page
shows the cached result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from stopwords import stopwords as common_lists

from hotline.errors import InvalidInput, ServiceError
from hotline.extensions import db
from hotline.models import OPEN_STATUSES, Case, Category, utcnow
from hotline.reporting.hotspots import ClusterItem, cluster_requests, volume_spikes
from hotline.reporting.terms import top_terms
from hotline.services import cases, directory
from hotline.services.actors import Actor

# window name -> (length of one window, how many earlier windows make the usual level)
WINDOWS: dict[str, tuple[timedelta, int]] = {"day": (timedelta(days=1), 28),
                                             "week": (timedelta(days=7), 8)}
SPIKE_CASES_SHOWN = 20
TERMS_SHOWN = 20
TERMS_MAX_TEXTS = 20000
#: words a citizen's complaint is full of but that name no problem, beyond the general lists
#: (the hotline's own vocabulary: requests, complaints, places, time, judgements)
HOTLINE_STOPWORDS = frozenset("""
的 了 是 我 你 他 她 它 们 我们 你们 他们 在 有 和 就 不 也 都 还 又 很 把 被 让 给 对 向 从 到
这 那 这个 那个 这里 那里 一个 一直 已经 没有 没人 不是 可以 能 会 要 想 请 请问 希望 问题 反映
情况 现在 今天 昨天 每天 晚上 早上 时候 什么 怎么 为什么 如何 多少 哪里 一下 一些 帮忙 解决
处理 相关 部门 市民 来电 电话 表示 要求 进行 以及 或者 而且 但是 因为 所以 如果 还是 就是
一家 两个 三个 几个 几天 一次 两次 三次 好几 好几天 附近 旁边 里面 这边 那边 东路 西路 南路 北路
不好 不行 不能 需要 以后 之后 以前 之前 经常 总是 非常 特别 严重 影响 导致 发现 出现 存在 一样
多次 好多 很多 太 最近 目前 一直都 至今 仍然 依然 还是没 结果 答复 回复 联系 投诉 举报 咨询
""".split())


@functools.cache
def stopwords() -> frozenset[str]:
    """The words hot words leave out: the union of the common Chinese stop-word lists (HIT,
    Baidu, SCU, ICT, stopwords-iso, as the ``stopwords-zh`` package ships them) and the
    hotline's own."""
    return frozenset(common_lists("all")) | HOTLINE_STOPWORDS


@dataclass
class Spike:
    """A flagged category or district: how many now, how many usually, the cases now.

    ``code`` is what the case list filters on (the category's code, the district) and
    ``name`` what the data calls it (the category's full name, the district)."""

    dimension: str
    key: str
    code: str
    name: str
    current: int
    baseline: float
    ratio: float
    score: float
    since: datetime
    until: datetime
    cases: list[Case] = field(default_factory=list)


def _key_column(dimension: str):
    return Case.category_id if dimension == "category" else Case.district


def spikes(window: str = "day", *, now: datetime | None = None) -> dict[str, list[Spike]]:
    """Categories and districts whose volume in the last ``window`` is well above usual."""
    now = now or utcnow()
    length, history_windows = WINDOWS[window]
    bounds = [now - length * k for k in range(history_windows + 2)]
    bucket = sql_case(*((Case.created_at >= bounds[k + 1], k)
                        for k in range(history_windows + 1)), else_=None)
    out: dict[str, list[Spike]] = {}
    for dimension in ("category", "district"):
        column = _key_column(dimension)
        counts: dict[str, list[int]] = {}
        rows = db.session.execute(
            select(column, bucket, func.count())
            .where(Case.created_at >= bounds[-1], Case.created_at < now, column.is_not(None))
            .group_by(column, bucket))
        for key, k, count in rows:
            counts.setdefault(str(key), [0] * (history_windows + 1))[k] = count
        history = {key: list(reversed(c[1:])) for key, c in counts.items()}
        current = {key: c[0] for key, c in counts.items()}
        found = volume_spikes(history, current=current, min_history=history_windows)
        out[dimension] = [_spike(dimension, s, bounds[1], now) for s in found]
    return out


def _spike(dimension: str, spike, since: datetime, until: datetime) -> Spike:
    column = _key_column(dimension)
    value: int | str = int(spike.key) if dimension == "category" else spike.key
    name = code = spike.key
    if dimension == "category":
        category = db.session.get(Category, value)
        if category is not None:
            name, code = category.full_name, category.code
    behind = list(db.session.scalars(
        select(Case).where(column == value, Case.created_at >= since, Case.created_at < until)
        .order_by(Case.id.desc()).limit(SPIKE_CASES_SHOWN)))
    return Spike(dimension, spike.key, code, name, spike.current, spike.baseline, spike.ratio,
                 spike.score, since, until, behind)


# ---------------------------------------------------------------- clusters and terms (a job)

def tokenizer() -> Callable[[str], list[str]]:
    """The classifier's word segmentation when installed, else jieba's."""
    try:
        from classifier.segment import tokenize
    except ImportError:
        import jieba

        return jieba.lcut
    return tokenize


def _place(district: str | None, street: str | None) -> str | None:
    if street:
        return f"{district or ''}{street}"
    return district


def analyse(*, now: datetime | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Cluster the recent open cases and count the top terms; a JSON-ready result."""
    now = now or utcnow()
    report = progress or (lambda done, total, step: None)
    days = current_app.config["HOTSPOT_WINDOW_DAYS"]
    report(0, 4, "load")
    rows = db.session.execute(
        select(Case.id, Case.title, Case.content, Case.district, Case.street)
        .where(Case.status.in_(OPEN_STATUSES), Case.created_at >= now - timedelta(days=days),
               Case.created_at < now)).all()
    items = [ClusterItem(r.id, f"{r.title} {r.content}", _place(r.district, r.street))
             for r in rows]
    report(1, 4, "cluster")
    clusters = cluster_requests(items, min_size=current_app.config["HOTSPOT_MIN_CLUSTER"])
    report(2, 4, "terms")
    terms = _terms(now)
    report(4, 4, "done")
    return {
        "computed_at": now.isoformat(), "window_days": days, "open_cases": len(items),
        "clusters": [{"ids": c.ids, "place": c.place, "label": c.label} for c in clusters],
        "terms": terms,
    }


def _without_place(content: str, *places: str | None) -> str:
    """The request text without its own address, district and street: what people call
    about, not where they live, is what the top terms should show."""
    for place in sorted(filter(None, places), key=len, reverse=True):
        content = content.replace(place, " ")
    return content


def _terms(now: datetime) -> dict:
    tokenize = functools.lru_cache(maxsize=50000)(tokenizer())
    rows = db.session.execute(
        select(Case.content, Case.address, Case.district, Case.street, Case.created_at)
        .where(Case.created_at >= now - timedelta(days=7), Case.created_at < now)
        .order_by(Case.id.desc()).limit(TERMS_MAX_TEXTS)).all()
    texts = [(_without_place(r.content, r.address, r.district, r.street), r) for r in rows]
    day = [text for text, r in texts if r.created_at >= now - timedelta(days=1)]
    by_district: dict[str, list[str]] = {}
    for text, r in texts:
        if r.district:
            by_district.setdefault(r.district, []).append(text)

    def top(group: Iterable[str], k: int = TERMS_SHOWN) -> list[list]:
        return [[term, n] for term, n in top_terms(group, tokenize=tokenize, k=k,
                                                   stopwords=stopwords())]

    return {"day": top(day), "week": top(text for text, _row in texts),
            "districts": {name: top(group, 10) for name, group in sorted(by_district.items())}}


@dataclass
class ClusterView:
    """A cached cluster with its cases as they stand now (merged or closed ones drop out)."""

    label: str
    place: str | None
    cases: list[Case]


def cluster_views(analysis: dict | None, *, min_size: int = 2) -> list[ClusterView]:
    """The cached clusters whose cases are still open, largest first."""
    if not analysis:
        return []
    ids = [i for c in analysis["clusters"] for i in c["ids"]]
    found = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))}
    views = []
    for cluster in analysis["clusters"]:
        members = [found[i] for i in cluster["ids"] if i in found and found[i].is_open]
        if len(members) >= min_size:
            views.append(ClusterView(cluster["label"], cluster["place"],
                                     sorted(members, key=lambda c: c.id)))
    return sorted(views, key=lambda v: -len(v.cases))


# ---------------------------------------------------------------- acting on a cluster

@dataclass
class BulkOutcome:
    """Which cases an action was applied to, and which refused it (with the error)."""

    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, ServiceError]] = field(default_factory=list)


def _each(actor: Actor, numbers: Iterable[str], action: str, params: dict,
          now: datetime | None) -> BulkOutcome:
    outcome = BulkOutcome()
    for number in dict.fromkeys(n.strip() for n in numbers if n and n.strip()):
        # A refusal undoes its own case, not the others. The savepoint may already be closed
        # when ``cases.perform`` ends its own transaction; then there is nothing left to end.
        savepoint = db.session.begin_nested()
        try:
            with db.session.begin_nested():  # a refusal undoes this case only
                cases.perform(actor, number, action, params, now=now)
        except ServiceError as exc:
            if savepoint.is_active:
                savepoint.rollback()
            outcome.refused.append((number, exc))
        else:
            if savepoint.is_active:
                savepoint.commit()
            outcome.done.append(number)
    return outcome


def dispatch_all(actor: Actor, numbers: Iterable[str], department: str, *,
                 now: datetime | None = None) -> BulkOutcome:
    """Dispatch (or re-dispatch) each case to one department; each case on its own, so one
    refusal does not stop the others. Joins the caller's unit of work."""
    directory.department_by_code(department, active_only=True, field="department")
    return _each(actor, numbers, "dispatch", {"department": department,
                                              "note": "同类诉求合并派单"}, now)


def merge_all(actor: Actor, numbers: Iterable[str], into: str, *,
              now: datetime | None = None) -> BulkOutcome:
    """Merge each case into the primary case ``into`` (并单), each with the merge action."""
    if not into:
        raise InvalidInput("「{field}」不能为空", field="into")
    return _each(actor, (n for n in numbers if n != into), "merge", {"into": into}, now)
