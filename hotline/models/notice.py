"""What the citizen is told at each step: per kind, which channels send it and its texts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.enums import NoticeKind


class NoticeSetting(Base):
    """An admin's choice for one kind of citizen notice: on or off per channel, and the
    Chinese and English texts. A kind with no row uses the shipped defaults."""

    __tablename__ = "notice_setting"

    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind, length=20),
                                             primary_key=True)
    sms: Mapped[bool] = mapped_column(default=True)
    wechat: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrackCode(Base):
    """A one-time code sent by SMS so a citizen may list their own cases ("my cases").

    Only keyed hashes are stored: of the mobile number (to find the code) and of the code
    itself; a code is used once, expires, and dies after a few wrong tries."""

    __tablename__ = "track_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(default=0)
