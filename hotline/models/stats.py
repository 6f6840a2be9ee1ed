"""Pre-aggregated oversight figures: one row per day (or month), department and dimension value.

``stats_daily`` holds, for the cases registered on one local day, the counts behind every
KPI (see :mod:`hotline.services.kpi`), once for all of a department's cases
(``dimension='all'``) and once per channel, category, request type and district;
``stats_monthly`` holds their sums per calendar month. The rows are rebuilt by an RQ job from
the case rows and case events, never edited by hand; ``stats_state`` records how far and how
recently that happened.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base


class StatsCounts:
    """The counts behind every KPI (see :mod:`hotline.services.kpi`), for one department
    and one dimension value.

    ``value`` is '' for ``dimension='all'``, the channel, request type or district name, or
    the category id as text; None (no category, no district) is stored as ''.
    ``department_id`` is the department holding the cases now (NULL: none), except for
    ``assigned`` and ``returned_by``, which count cases dispatched to / returned by it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None]
    dimension: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(60), default="")

    total: Mapped[int] = mapped_column(default=0)
    merged: Mapped[int] = mapped_column(default=0)
    st_registered: Mapped[int] = mapped_column(default=0)
    st_dispatched: Mapped[int] = mapped_column(default=0)
    st_in_progress: Mapped[int] = mapped_column(default=0)
    st_replied: Mapped[int] = mapped_column(default=0)
    st_closed: Mapped[int] = mapped_column(default=0)
    sign_on_time: Mapped[int] = mapped_column(default=0)
    sign_late: Mapped[int] = mapped_column(default=0)
    handle_on_time: Mapped[int] = mapped_column(default=0)
    handle_late: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    rated: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    basically_satisfied: Mapped[int] = mapped_column(default=0)
    dissatisfied: Mapped[int] = mapped_column(default=0)
    not_rated: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    direct: Mapped[int] = mapped_column(default=0)
    dispatched: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)
    assigned: Mapped[int] = mapped_column(default=0)
    returned_by: Mapped[int] = mapped_column(default=0)
    handled: Mapped[int] = mapped_column(default=0)
    handle_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    # handling-time histogram (see services.kpi.HOUR_BOUNDS): h00 = up to 1 h ... h15 = more
    h00: Mapped[int] = mapped_column(default=0)
    h01: Mapped[int] = mapped_column(default=0)
    h02: Mapped[int] = mapped_column(default=0)
    h03: Mapped[int] = mapped_column(default=0)
    h04: Mapped[int] = mapped_column(default=0)
    h05: Mapped[int] = mapped_column(default=0)
    h06: Mapped[int] = mapped_column(default=0)
    h07: Mapped[int] = mapped_column(default=0)
    h08: Mapped[int] = mapped_column(default=0)
    h09: Mapped[int] = mapped_column(default=0)
    h10: Mapped[int] = mapped_column(default=0)
    h11: Mapped[int] = mapped_column(default=0)
    h12: Mapped[int] = mapped_column(default=0)
    h13: Mapped[int] = mapped_column(default=0)
    h14: Mapped[int] = mapped_column(default=0)
    h15: Mapped[int] = mapped_column(default=0)



class StatsDaily(StatsCounts, Base):
    """The counts of the cases registered on one local day."""

    __tablename__ = "stats_daily"

    day: Mapped[date]

    __table_args__ = (
        Index("ix_stats_daily_dimension_day", "dimension", "day"),
        Index("ix_stats_daily_department_day", "department_id", "day"),
        Index("ix_stats_daily_day", "day"),
    )


class StatsMonthly(StatsCounts, Base):
    """The sums of a calendar month's ``stats_daily`` rows, so long periods read few rows."""

    __tablename__ = "stats_monthly"

    month: Mapped[date]  # the first day of the month

    __table_args__ = (
        Index("ix_stats_monthly_month", "month"),
        Index("ix_stats_monthly_department_month", "department_id", "month"),
    )


class StatsState(Base):
    """How far the rollup reaches and when it was last rebuilt (a single row, id 1)."""

    __tablename__ = "stats_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    covered_through: Mapped[date | None]  # last local day held in stats_daily
    refreshed_at: Mapped[datetime | None]  # when the last refresh started (its "now")
    finished_at: Mapped[datetime | None]
    event_watermark: Mapped[int] = mapped_column(BigInteger, default=0)  # last case_event.id
    days_refreshed: Mapped[int] = mapped_column(default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)
