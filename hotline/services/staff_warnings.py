"""The forecast's early warnings sent to supervisors: today's volume of a series above its
forecast interval, and a cluster of similar requests rising at one place.

Each warning has a key (the series and the day; the place and the cluster's first case), and
is sent once per key: a ``sent_warning`` row written in the same transaction as the notice
on the supervisors' console and the e-mails in the outbox. Running the job again, or two
workers at once, sends nothing twice. The decision (:func:`due`) is pure.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hotline.extensions import db
from hotline.models import Notification, Role, SentWarning, User, utcnow
from hotline.services import forecast, hotspots, outbox

KIND = "forecast_warning"
RISING_MIN_CASES = 3          # a cluster at one place of at least this many open cases
RISING_RECENT = timedelta(days=2)  # of which at least half registered this recently


@dataclass(frozen=True)
class Due:
    """A warning to send: its key (once per key), and the message in Chinese."""

    key: str
    message: str


def _series_name(s: forecast.Series) -> str:
    return "全市" if s.dimension == forecast.TOTAL else s.name


def due(outlook: forecast.Outlook, clusters: list[hotspots.ClusterView], now: datetime
        ) -> list[Due]:
    """The warnings of ``outlook`` and of rising ``clusters`` at ``now``."""
    out = [Due(f"volume:{outlook.today.isoformat()}:{s.dimension}:{s.code}",
               f"诉求量预警：{_series_name(s)} 今日已受理 {s.so_far} 件，推算全天 "
               f"{s.projected:.0f} 件，超出预测区间 {s.today.low}–{s.today.high}")
           for s in outlook.warnings]
    for cluster in clusters:
        if not cluster.place or len(cluster.cases) < RISING_MIN_CASES:
            continue
        recent = [c for c in cluster.cases if c.created_at >= now - RISING_RECENT]
        if 2 * len(recent) < len(cluster.cases):
            continue
        first = min(cluster.cases, key=lambda c: c.id)
        message = (f"聚集预警：{cluster.place}「{cluster.label}」{len(cluster.cases)} 件相似"
                   f"诉求（近2天 {len(recent)} 件），首件 {first.number}")
        out.append(Due(f"cluster:{cluster.place}:{first.id}"[:160], message[:300]))
    return out


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def _claim(warning: Due, now: datetime) -> bool:
    """Write the warning's row; False when another run wrote it first."""
    if db.session.get(SentWarning, warning.key) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SentWarning(key=warning.key, kind=KIND, message=warning.message,
                                       created_at=now))
    except IntegrityError:
        return False
    return True


def send(analysis: dict[str, Any] | None, *, now: datetime | None = None) -> list[str]:
    """Send every due warning not sent yet: a notice for supervisors and an e-mail to each
    active supervisor with an address. Returns the keys sent now."""
    now = now or utcnow()
    found = due(forecast.outlook(now=now), hotspots.cluster_views(analysis), now)
    supervisors = list(db.session.scalars(select(User).where(
        User.role == Role.SUPERVISOR, User.active.is_(True), User.email.is_not(None))))
    sent = []
    for warning in found:
        if not _claim(warning, now):
            continue
        db.session.add(Notification(role=Role.SUPERVISOR.value, case_id=None, kind=KIND,
                                    message=warning.message, created_at=now))
        for user in supervisors:
            outbox.enqueue("email", user.email, warning.message, subject="12345 风险预警",
                           idempotency_key=f"warning:{user.id}:{_digest(warning.key)}")
        sent.append(warning.key)
    db.session.flush()
    return sent
