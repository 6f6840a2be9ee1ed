"""Service-level policies and the working-day calendar, both data that admins edit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.enums import CalendarKind, DayKind, DaySource, RequestType, Urgency


class SlaPolicy(Base):
    """Time allowed to sign for and to handle cases of an urgency and type.

    An empty urgency or type matches any; the most specific matching policy applies.
    Durations are written like ``30m``, ``4h`` or ``3d``.
    """

    __tablename__ = "sla_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    urgency: Mapped[Urgency | None] = mapped_column(enum_column(Urgency))
    request_type: Mapped[RequestType | None] = mapped_column(enum_column(RequestType))
    accept: Mapped[str] = mapped_column(String(12))
    handle: Mapped[str] = mapped_column(String(12))
    warn_percent: Mapped[int] = mapped_column(default=75)
    calendar: Mapped[CalendarKind] = mapped_column(enum_column(CalendarKind, length=10),
                                                   default=CalendarKind.WORKDAY)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("urgency", "request_type", name="uq_sla_policy_match"),)

    @property
    def specificity(self) -> int:
        return (self.urgency is not None) + (self.request_type is not None)


class CalendarDay(Base):
    """A public holiday or a make-up working day (调休) of the official calendar."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind, length=10))
    name: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[DaySource] = mapped_column(enum_column(DaySource, length=10),
                                              default=DaySource.OFFICIAL)
