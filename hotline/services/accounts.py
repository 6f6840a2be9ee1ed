"""Signing in and passwords: the policy, throttled checks, changes, resets and revocation.

A wrong password slows its account and its client down (growing delays, see
``services.throttle``); an unknown user name costs the same hash as a known one, so timing
tells nothing; and only ``HASH_CONCURRENCY`` password hashes run at once per process, so a
flood of logins queues instead of starving every other request. Services never commit: the
view or command around these calls owns the transaction.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from hotline.errors import InvalidInput, NotFound, ServiceError, TooManyAttempts
from hotline.extensions import db
from hotline.models import AccountState, ApiToken, User, utcnow
from hotline.models import user as user_model
from hotline.services import throttle
from hotline.unit_of_work import after_commit

MIN_LENGTH = 12
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
HASH_WAIT_SECONDS = 10
CLIENT_FACTOR = 4  # a client (one office behind NAT, say) tolerates more failures
_hash_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


class WrongCredentials(ServiceError):
    """Unknown user, inactive account or wrong password: all answer alike."""

    status = 401
    code = "wrong_credentials"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, username: str = "") -> None:
    """Refuse a password that is short, common or contains the user name."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise InvalidInput("密码至少 {count} 位", field="password", count=MIN_LENGTH)
    if password.lower() in common_passwords():
        raise InvalidInput("密码过于常见，请换一个不易猜到的密码", field="password")
    name = (username or "").strip().lower()
    if len(name) >= 3 and name in password.lower():
        raise InvalidInput("密码不能包含用户名", field="password")


def _rules() -> tuple[throttle.Rule, throttle.Rule]:
    config = current_app.config
    free, most = int(config["LOGIN_FREE_FAILURES"]), int(config["LOGIN_MAX_DELAY_SECONDS"])
    return (throttle.Rule(free, 1, most, 3600),
            throttle.Rule(free * CLIENT_FACTOR, 1, most, 3600))


def _keys(username: str, client: str) -> tuple[str, str]:
    return f"hotline:login:user:{username.lower()}", f"hotline:login:client:{client}"


def login_wait(username: str, client: str) -> int:
    """Seconds before this account may be tried again from this client (0: now)."""
    account_rule, client_rule = _rules()
    account_key, client_key = _keys(username, client)
    return max(throttle.wait_seconds(account_key, account_rule),
               throttle.wait_seconds(client_key, client_rule))


def authenticate(username: str, password: str, client: str) -> User:
    """The active user with this name and password; WrongCredentials otherwise, counted
    against the account and the client; TooManyAttempts while they must wait."""
    username = (username or "").strip()
    wait = login_wait(username, client)
    if wait:
        raise TooManyAttempts("登录失败次数过多，请 {seconds} 秒后再试", seconds=wait,
                              retry_after=wait)
    user = db.session.scalars(select(User).where(User.username == username)).first()
    with _hash_slot():
        if user is None:
            user_model.check_password_hash(_dummy_hash(), password or "")
            matches = False
        else:
            matches = user.check_password(password or "")
    account_key, client_key = _keys(username, client)
    if not matches or not user.active:
        throttle.count_failure((account_key, client_key), _rules()[0].keep)
        raise WrongCredentials("用户名或密码不正确")
    throttle.clear(account_key)
    return user


def change_password(user: User, current: str, new: str) -> None:
    """The user replaces their own password; every other session of theirs ends."""
    with _hash_slot():
        matches = user.check_password(current or "")
    if not matches:
        raise InvalidInput("当前密码不正确", field="current_password")
    if current == new:
        raise InvalidInput("新密码不能与当前密码相同", field="password")
    check_password_policy(new, user.username)
    user.set_password(new)
    user.must_change_password = False
    user.end_sessions()


def reset_password(username: str, new: str | None = None) -> tuple[User, str | None]:
    """An admin sets a new password, or has one generated when ``new`` is empty (returned
    so it can be shown once, never stored in clear). The user must change it at the next
    sign-in; every session of theirs ends and every API token of theirs is revoked now, and
    the failed sign-ins held against the account are forgotten."""
    user = db.session.scalars(select(User).where(
        func.lower(User.username) == (username or "").strip().lower())).first()
    if user is None:
        raise NotFound("用户 {username} 不存在", username=username)
    generated = None
    if not new:
        new = generated = generate_password()
    check_password_policy(new, user.username)
    user.set_password(new)
    user.must_change_password = True
    user.end_sessions()
    revoke_tokens(user)
    account_key = _keys(user.username, "")[0]
    after_commit(throttle.clear, account_key, key=("unlock", account_key))
    return user, generated


def generate_password() -> str:
    """A random temporary password of 16 characters an admin can read out or paste."""
    return secrets.token_urlsafe(12)


def revoke_tokens(user: User) -> int:
    """Revoke every live API token of the user; returns how many (the token cache drops
    them at once, see ``services.freshness``)."""
    tokens = db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = utcnow()
    return len(tokens)


def account_states(users: Iterable[User]) -> dict[int, list[AccountState]]:
    """Each account's states for the admin's users table: active or disabled, and whether
    failed sign-ins hold it back now or a new password is still to be chosen."""
    account_rule = _rules()[0]
    states: dict[int, list[AccountState]] = {}
    for user in users:
        shown = [AccountState.ACTIVE if user.active else AccountState.DISABLED]
        if user.active and throttle.wait_seconds(_keys(user.username, "")[0], account_rule):
            shown.append(AccountState.LOCKED)
        if user.must_change_password:
            shown.append(AccountState.MUST_CHANGE_PASSWORD)
        states[user.id] = shown
    return states


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: sessions and remember-me cookies alike."""
    user.end_sessions()


@cache
def _dummy_hash() -> str:
    """A hash to check unknown user names against, so they take as long as known ones."""
    return user_model.generate_password_hash("not-a-password-of-anyone", method="scrypt")


class _hash_slot:
    """Hold one of the process's ``HASH_CONCURRENCY`` hashing slots, or answer 429."""

    def __enter__(self) -> None:
        size = max(1, int(current_app.config["HASH_CONCURRENCY"]))
        with _slots_lock:
            self._slot = _hash_slots.setdefault(size, threading.BoundedSemaphore(size))
        if not self._slot.acquire(timeout=HASH_WAIT_SECONDS):
            raise TooManyAttempts("服务器繁忙，请稍后再试", retry_after=5)

    def __exit__(self, *exc_info) -> None:
        self._slot.release()
