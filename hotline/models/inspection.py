"""Quality inspection (质检) kept in the database: the automatic findings stored once per
reply and record, the rubric admins define, the weekly samples supervisors score, and the
warnings already sent to supervisors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.case import Case
from hotline.models.enums import InspectionTarget, Severity
from hotline.models.org import Department
from hotline.models.user import User


class QualityResult(Base):
    """The automatic inspection of one sent reply (``event_id``: its reply event) or of one
    case's record, stored when it is made so pages and trends read it instead of redoing it.

    ``text_hash`` and ``model_version`` say what it was computed from: a record inspection
    whose text or classifier changed since is computed again."""

    __tablename__ = "quality_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[InspectionTarget] = mapped_column(enum_column(InspectionTarget, length=10))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_event.id",
                                                            ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    relevance: Mapped[float | None]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    finding_count: Mapped[int] = mapped_column(default=0)
    worst: Mapped[Severity | None] = mapped_column(enum_column(Severity, length=10))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # relevance signals, suggestions
    text_hash: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_quality_result_case_target", "case_id", "target"),
        Index("ix_quality_result_target_department_created", "target", "department_id",
              "created_at"),
        Index("ix_quality_result_target_agent_created", "target", "agent_id", "created_at"),
    )


class RubricItem(Base):
    """One line of the manual inspection's score sheet (评分细则), defined by admins: what is
    judged, for replies or records, out of how many points and how much it weighs."""

    __tablename__ = "rubric_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[InspectionTarget] = mapped_column(enum_column(InspectionTarget, length=10))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    guidance: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(default=1.0)
    max_score: Mapped[int] = mapped_column(default=5)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("target", "code", name="uq_rubric_item_target_code"),)


class InspectionSample(Base):
    """One case drawn for manual inspection in a week's sample of a department (replies) or
    an agent (records), and the score a supervisor gave it (``points``: item code → points)
    under the rubric of that moment (``rubric``)."""

    __tablename__ = "inspection_sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[InspectionTarget] = mapped_column(enum_column(InspectionTarget, length=10))
    week: Mapped[date]                     # the Monday of the local week
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    points: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    score: Mapped[float | None]            # 0-100, weighted over the rubric
    # The rubric the score was given under (code, name, weight, max_score of each item):
    # a later change of the rubric keeps the score and shows that it was another rubric.
    rubric: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    scored_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship()
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])

    __table_args__ = (
        UniqueConstraint("target", "week", "case_id", name="uq_inspection_sample_case"),
        Index("ix_inspection_sample_week_department", "week", "department_id"),
        Index("ix_inspection_sample_week_agent", "week", "agent_id"),
    )


class SentWarning(Base):
    """A forecast warning already sent to supervisors: its key is what makes it once."""

    __tablename__ = "sent_warning"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
