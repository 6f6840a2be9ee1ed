"""Places an admin imported (CSV or GeoJSON) on top of the shipped map of the city."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.enums import PlaceKind


class Place(Base):
    """One imported place: an area (district, street) with its outline, or a point. The same
    kind, district and name imported again replaces the row."""

    __tablename__ = "place"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PlaceKind] = mapped_column(enum_column(PlaceKind, length=12))
    name: Mapped[str] = mapped_column(String(60))
    district: Mapped[str] = mapped_column(String(60))
    street: Mapped[str | None] = mapped_column(String(60))
    keywords: Mapped[str] = mapped_column(Text, default="")  # '|'-separated
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    #: outer rings [[[lon, lat], ...], ...] of an area; None for a point
    outline: Mapped[list | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(200))  # the file it came from
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("kind", "district", "name",
                                       name="uq_place_kind_district_name"),)
