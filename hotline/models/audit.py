"""The record of who read personal data: each reveal of a citizen's full phone number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, utcnow
from hotline.models.case import Case
from hotline.models.user import User


class PersonalDataRead(Base):
    """One read of a citizen's personal data: who, when, which case, what, from where."""

    __tablename__ = "personal_data_read"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    what: Mapped[str] = mapped_column(String(20))  # phone
    via: Mapped[str] = mapped_column(String(10))  # page | api
    client: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[Case] = relationship()
    user: Mapped[User | None] = relationship()
