"""Departments, categories, staff accounts and API tokens: the admins' reference data.

Changes join the caller's transaction. The per-process cache of departments and categories
is read through a session of its own, so it sees only committed rows: a change drops it
after its commit, and a case can name a new department once the department is committed.
"""

from __future__ import annotations

import re
import secrets
import time as clock
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from hotline.errors import Conflict, InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import ApiToken, Category, Department, Role, User, utcnow
from hotline.services import accounts, freshness
from hotline.services.actors import Actor
from hotline.services.validation import choice, optional_text, required_text
from hotline.unit_of_work import after_commit

CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
REFERENCE_TTL_SECONDS = 60.0


def _code(value: Any, field: str = "code") -> str:
    code = required_text(value, field, max_chars=40)
    if not set(code) <= CODE_CHARS:
        raise InvalidInput("「{field}」只能包含字母、数字、- 和 _", field=field)
    return code


def department_by_code(code: Any, *, active_only: bool = False,
                       field: str | None = None) -> Department:
    """The department with this code (only an active one when asked), read in the caller's
    transaction: every look-up of a department by its code comes here.

    An unknown code is NotFound, or InvalidInput naming ``field`` when the code came from a
    form or filter (the hot path of registration reads :func:`active_department` instead)."""
    query = select(Department).where(Department.code == str(code))
    if active_only:
        query = query.where(Department.active.is_(True))
    department = db.session.scalars(query).first()
    if department is None and field:
        raise InvalidInput("未知的承办单位代码：{code}", field=field, code=str(code))
    if department is None:
        raise NotFound("未知的承办单位代码：{code}", code=str(code))
    return department


def category_by_code(code: Any, *, field: str | None = None) -> Category:
    """The category with this code, active or not; unknown: NotFound, or InvalidInput naming
    ``field``."""
    category = db.session.scalars(select(Category).where(Category.code == str(code))).first()
    if category is None and field:
        raise InvalidInput("未知的分类：{code}", field=field, code=str(code))
    if category is None:
        raise NotFound("未知的分类：{code}", code=str(code))
    return category


def add_department(code: str, name: str, *, parent: str | None = None,
                   district: str | None = None) -> Department:
    """Create a department; its code is how the API and routing rules name it."""
    code = _code(code)
    if db.session.scalars(select(Department.id).where(Department.code == code)).first():
        raise Conflict("承办单位代码 {code} 已存在", code=code)
    department = Department(
        code=code, name=required_text(name, "name", max_chars=100),
        parent=department_by_code(parent) if parent else None,
        district=optional_text(district, "district", max_chars=40),
    )
    db.session.add(department)
    db.session.flush()  # the caller may name it by id at once
    after_commit(forget_reference_data, key="forget_reference_data")
    return department


def update_department(code: str, *, name: str, district: str | None, active: bool) -> Department:
    """Rename, re-district or (de)activate a department; the cache drops it after commit."""
    department = department_by_code(code)
    department.name = required_text(name, "name", max_chars=100)
    department.district = optional_text(district, "district", max_chars=40)
    department.active = active
    after_commit(forget_reference_data, key="forget_reference_data")
    return department


def list_departments(*, active_only: bool = False) -> list[Department]:
    """Departments, top-level first; only active ones when asked."""
    query = select(Department).order_by(Department.parent_id.is_not(None), Department.id)
    if active_only:
        query = query.where(Department.active.is_(True))
    return list(db.session.scalars(query))


def add_category(code: str, name: str, *, parent: str | None = None,
                 department: str | None = None, local_routing: bool = False) -> Category:
    """Create a category; a leaf names its usual department and whether 属地 routing applies."""
    code = _code(code)
    if db.session.scalars(select(Category.id).where(Category.code == code)).first():
        raise Conflict("分类代码 {code} 已存在", code=code)
    parent_category = None
    if parent:
        try:
            parent_category = category_by_code(parent)
        except NotFound:
            raise InvalidInput("未知的上级分类：{code}", field="parent", code=parent) from None
    category = Category(
        code=code, name=required_text(name, "name", max_chars=100), parent=parent_category,
        default_department=department_by_code(department) if department else None,
        local_routing=local_routing,
    )
    db.session.add(category)
    db.session.flush()  # the caller may name it by id at once
    after_commit(forget_reference_data, key="forget_reference_data")
    return category


def update_category(code: str, *, name: str, department: str | None, local_routing: bool,
                    active: bool) -> Category:
    """Change a category's name, department, 属地 routing or active flag."""
    category = category_by_code(code)
    category.name = required_text(name, "name", max_chars=100)
    category.default_department = department_by_code(department) if department else None
    category.local_routing = local_routing
    category.active = active
    after_commit(forget_reference_data, key="forget_reference_data")
    return category


def list_categories(*, leaves_only: bool = False, active_only: bool = False) -> list[Category]:
    """Categories in order; only active ones, or only leaves (what a case may name), when asked."""
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))
    if active_only:
        categories = [c for c in categories if c.active]
    if leaves_only:
        parents = {c.parent_id for c in categories}
        categories = [c for c in categories if c.id not in parents]
    return categories


# ---------------------------------------------------------------- look-ups on the hot path

@dataclass(frozen=True)
class _Reference:
    departments: dict[str, Department]
    categories: dict[str, Category]
    loaded: float


def _reference() -> _Reference:
    """Departments and categories by code, read once a minute per process: every registration
    and routing suggestion names them, and admins change them a few times a year. A change
    made in this process is seen at once (forget_reference_data); others see it within
    REFERENCE_TTL_SECONDS."""
    cached: _Reference | None = current_app.extensions.get("hotline.reference")
    if cached is None or clock.monotonic() - cached.loaded > REFERENCE_TTL_SECONDS:
        # A session of its own: the caller's session and its objects are left alone.
        with Session(db.engine, expire_on_commit=False) as session:
            departments = {d.code: d for d in session.scalars(select(Department))}
            categories = {c.code: c for c in session.scalars(select(Category))}
            session.expunge_all()
        cached = _Reference(departments, categories, clock.monotonic())
        current_app.extensions["hotline.reference"] = cached
    return cached


def forget_reference_data() -> None:
    """Drop this process's cache of departments and categories (after a change commits)."""
    current_app.extensions.pop("hotline.reference", None)


def active_department(code: Any) -> Department | None:
    """The active department with this code, in the current session, or None."""
    department = _reference().departments.get(str(code))
    if department is None or not department.active:
        return None
    return db.session.merge(department, load=False)


def active_category(code: Any) -> Category | None:
    """The active category with this code, in the current session, or None."""
    category = _reference().categories.get(str(code))
    if category is None or not category.active:
        return None
    return db.session.merge(category, load=False)


def category_names() -> dict[str, str]:
    """Every category's name by code, from the cache (for labelling suggestions)."""
    return {code: c.name for code, c in _reference().categories.items()}


def add_user(username: str, *, role: str, password: str, display_name: str | None = None,
             department: str | None = None, email: str | None = None) -> User:
    """Create a staff account; department staff must belong to a department. ``email``: where
    staff warnings are mailed (supervisors)."""
    username = _code(username, "username")
    role_value = choice(role, Role, "role")
    accounts.check_password_policy(password, username)
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise Conflict("用户名 {username} 已存在", username=username)
    dept = department_by_code(department) if department else None
    if role_value == Role.DEPARTMENT and dept is None:
        raise InvalidInput("承办单位人员必须指定所属单位", field="department")
    address = email_address(email)
    user = User(username=username, display_name=display_name or username, role=role_value,
                department=dept, email=address)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}")


def email_address(value: object) -> str | None:
    """A staff e-mail address (where warnings are mailed), or None when blank; one address,
    local part @ a domain with a dot, at most 200 characters."""
    address = optional_text(value, "email", max_chars=200)
    if address is not None and not _EMAIL.fullmatch(address):
        raise InvalidInput("「{field}」不是有效的电子邮件地址", field="email")
    return address


def update_user(username: str, *, display_name: str | None, role: str,
                department: str | None, email: str | None = None) -> User:
    """Change a staff account's name, role, department and e-mail address (``email``: None
    keeps it, blank removes it); department staff must belong to a department, the others
    may not keep one they no longer work for. A change of role or department ends the
    user's sessions so the next request sees the new rights."""
    user = user_by_username(username)
    address = email_address(email) if email is not None else user.email
    role_value = choice(role, Role, "role")
    dept = department_by_code(department) if department else None
    if role_value == Role.DEPARTMENT and dept is None:
        raise InvalidInput("承办单位人员必须指定所属单位", field="department")
    name = (display_name or "").strip()
    if len(name) > 100:
        raise InvalidInput("「{field}」过长", field="display_name")
    changes_rights = user.role != role_value or user.department_id != (dept.id if dept else None)
    user.display_name = name or user.username
    user.role = role_value
    user.department = dept
    user.email = address
    if changes_rights:
        user.end_sessions()
    return user


def set_user_active(username: str, active: bool) -> User:
    """Enable or disable a staff account."""
    user = user_by_username(username)
    user.active = active
    if not active:
        user.end_sessions()  # a deactivated account's sessions end now
    return user


def user_by_username(username: str) -> User:
    """The account with this username, or NotFound."""
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound("用户 {username} 不存在", username=username)
    return user


def list_users() -> list[User]:
    """Every staff account, by role then username."""
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def create_token(username: str, name: str = "") -> str:
    """Issue a new API token for a user; the token is shown once, only its hash is kept."""
    user = user_by_username(username)
    token = "hl_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name, token_hash=ApiToken.digest(token),
                            prefix=token[:10]))
    return token


def revoke_token(prefix: str) -> int:
    """Revoke every live token that starts with the given prefix; returns how many."""
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix[:10],
                                                       ApiToken.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = utcnow()
    return len(tokens)


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    row = db.session.scalars(select(ApiToken).options(joinedload(ApiToken.user)).where(
        ApiToken.token_hash == ApiToken.digest(token), ApiToken.revoked_at.is_(None))).first()
    if row is None or not row.user.active:
        return None
    return row.user


TOKEN_CACHE_SIZE = 1000


def actor_for_token(token: str) -> Actor | None:
    """Who a live token acts as, or None; from a per-process cache that is dropped whenever
    any token is revoked or a user changed (:mod:`freshness`), so a revocation committed
    anywhere fails the next request here. A hit costs one small SELECT of the counters, in
    the transaction the request then goes on with, instead of the token and user rows."""
    generation = freshness.value(freshness.TOKENS)  # read before the rows it guards
    cache: dict[str, tuple[int, Actor]] = current_app.extensions.setdefault(
        "hotline.tokens", {})
    digest = ApiToken.digest(token)
    hit = cache.get(digest)
    if hit is not None and hit[0] == generation:
        return hit[1]
    user = user_for_token(token)
    if user is None:
        cache.pop(digest, None)
        return None
    if len(cache) >= TOKEN_CACHE_SIZE:
        cache.clear()
    actor = Actor.from_user(user)
    cache[digest] = (generation, actor)
    return actor


def routable_department(code: Any, *, field: str = "department") -> Department:
    """The active department a case may be sent to, or InvalidInput naming ``field``."""
    department = active_department(code)
    if department is None:
        raise InvalidInput("未知的承办单位代码：{code}", field=field, code=str(code))
    return department


def routable_category(code: Any, *, field: str = "category") -> Category:
    """The active category a case may be filed under, or InvalidInput naming ``field``."""
    category = active_category(code)
    if category is None:
        raise InvalidInput("未知的诉求分类代码：{code}", field=field, code=str(code))
    return category
