"""Preconditions stacked above views: ``@role_required("supervisor")`` and friends."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from hotline.models import Role
from hotline.services.actors import Actor


def role_required(*roles: str) -> Callable:
    """Signed-in staff of one of these roles only; others get 403."""
    allowed = {Role(r) for r in roles}

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def current_actor() -> Actor:
    """The signed-in user as the plain actor services expect."""
    return Actor.from_user(current_user)
