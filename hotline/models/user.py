"""People who sign in, and the API tokens that let systems act for them."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.enums import Role
from hotline.models.org import Department


class User(UserMixin, Base):
    """A staff account: agent, department staff, supervisor or admin."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(200))  # where staff warnings are mailed
    role: Mapped[Role] = mapped_column(enum_column(Role))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised to end every session and remember-me cookie of the account (logout, password
    # change or reset, deactivation): the cookies carry the version they were issued under.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    department: Mapped[Department | None] = relationship()

    # Set for the request by the login and the user loader; not a column.
    login_nonce: str = ""

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session and the remember-me cookie carry: id, session version and a
        nonce drawn at each login, so the cookie differs at every login and dies with
        the version (see ``hotline.security.load_user``)."""
        return f"{self.id}:{self.session_version}:{self.login_nonce}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie issued so far."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str) -> None:
        """Hash with werkzeug's scrypt, a memory-hard algorithm."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class ApiToken(Base):
    """A bearer token for the integration API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @staticmethod
    def digest(token: str) -> str:
        """The stored form of a token: a fast hash is enough for 256 random bits."""
        return hashlib.sha256(token.encode()).hexdigest()
