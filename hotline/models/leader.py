"""Leaders' mailboxes (领导信箱): the addressees a citizen may write to, each read by an
office (a department) that answers or forwards its letters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.enums import MailboxKind
from hotline.models.org import Department


class LeaderMailbox(Base):
    """One addressee: the mayor, the party secretary, an official or a department head."""

    __tablename__ = "leader_mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))  # 市长信箱
    holder: Mapped[str | None] = mapped_column(String(100))  # 市长 王某某
    kind: Mapped[MailboxKind] = mapped_column(enum_column(MailboxKind, length=20))
    office_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    intro: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    office: Mapped[Department] = relationship()
