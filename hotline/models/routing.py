"""The routing model's versions and the corrections that teach it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.enums import CorrectionSource, ModelSource, ModelStatus


class ClassifierModel(Base):
    """One trained model file and what is known about it; exactly one is active."""

    __tablename__ = "classifier_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    path: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[ModelSource] = mapped_column(enum_column(ModelSource, length=20))
    status: Mapped[ModelStatus] = mapped_column(enum_column(ModelStatus, length=12),
                                                default=ModelStatus.TRAINING)
    n_samples: Mapped[int | None]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]


class RoutingCorrection(Base):
    """What the model suggested and what a person chose instead (category or department)."""

    __tablename__ = "routing_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    suggested_category: Mapped[str | None] = mapped_column(String(40))
    chosen_category: Mapped[str | None] = mapped_column(String(40))
    suggested_department: Mapped[str | None] = mapped_column(String(40))
    chosen_department: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[CorrectionSource] = mapped_column(enum_column(CorrectionSource, length=20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
