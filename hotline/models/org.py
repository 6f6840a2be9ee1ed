"""The organisation: departments that handle cases and the categories that route to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.models.base import Base, utcnow


class Department(Base):
    """A responsible body (承办单位): a city bureau, a district government or a street office."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    district: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Department | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class Category(Base):
    """A request topic in a tree; a leaf names the department that normally handles it.

    ``local_routing`` (属地管理) sends a case to the district government of the place
    instead of the default city bureau when the place is known.
    """

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    default_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    local_routing: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id])
    default_department: Mapped[Department | None] = relationship()

    @property
    def full_name(self) -> str:
        """The name with its parent, as agents read it: 城市管理 / 占道经营."""
        return f"{self.parent.name} / {self.name}" if self.parent else self.name
