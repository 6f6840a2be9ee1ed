"""The phone system's hook (CTI): an incoming call pops up on the named agent's console.

The CTI posts the call; it waits in a short Redis list per agent (a few minutes at most: a
pop for a call long over helps nobody), and the agent's open console takes it with a poll
every two seconds. Redis keeps the hot path to one ``RPUSH`` and one ``LPOP``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select

from hotline.broker import get_redis
from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Role, User
from hotline.services.validation import optional_text, phone_number, required_text

POP_MAX_AGE = 180  # seconds a call waits for its agent's console
QUEUE_KEY = "hotline:calls:{user_id}"
QUEUE_LENGTH = 10
CONSOLE_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def announce(call_id: Any, caller: Any, agent: Any, recording: Any = None) -> dict[str, Any]:
    """Queue a call for the agent's console; the agent must be an active console user."""
    call = {
        "call_id": required_text(call_id, "call_id", max_chars=120),
        "caller": phone_number(caller, "caller"),
        "recording": optional_text(recording, "recording", max_chars=200),
        "at": time.time(),
    }
    username = required_text(agent, "agent", max_chars=60)
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active or user.role not in CONSOLE_ROLES:
        raise InvalidInput("未知的话务员：{name}", field="agent", name=username)
    key = QUEUE_KEY.format(user_id=user.id)
    pipe = get_redis().pipeline()
    pipe.rpush(key, json.dumps(call, ensure_ascii=False))
    pipe.ltrim(key, -QUEUE_LENGTH, -1)
    pipe.expire(key, POP_MAX_AGE)
    pipe.execute()
    return {"call_id": call["call_id"], "agent": user.username, "queued": True}


def next_call(user_id: int, now: float | None = None) -> dict[str, Any] | None:
    """The oldest call still worth popping for this agent, taken off the queue."""
    now = now or time.time()
    connection = get_redis()
    key = QUEUE_KEY.format(user_id=user_id)
    while True:
        raw = connection.lpop(key)
        if raw is None:
            return None
        call = json.loads(raw)
        if now - float(call.get("at", 0)) <= POP_MAX_AGE:
            return call
