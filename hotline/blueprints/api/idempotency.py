"""``Idempotency-Key`` on the API's writing endpoints: a client that retries a request (its
answer was lost, its own timeout fired) sends the same key and gets the first answer, status
and body, for 24 hours; the work is done once.

The key is reserved in one unit of work before the view runs. A view that writes stores its
answer in its own transaction, with the work (:func:`keep_answer`): a process that dies
after the commit leaves the answer for the retry, never a key held without one (which would
let a retry after the five-minute reservation do the work twice). Any other answer is stored
in a unit of work after the view. A view that refuses (a 4xx from a service) wrote nothing,
so its key is released and a corrected retry runs. Keys live in the database, not Redis.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import Response, current_app, g, make_response, request
from sqlalchemy.exc import DBAPIError

from hotline.services import idempotency
from hotline.unit_of_work import after_commit, unit_of_work

HEADER = "Idempotency-Key"


def idempotent(view: Callable) -> Callable:
    """Answer a repeated ``Idempotency-Key`` from the same token with the first answer.

    Stack it below :func:`token_required`: only authenticated requests keep keys."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None:
            return view(*args, **kwargs)
        key = idempotency.check_key(raw)
        scope = _scope()
        with unit_of_work():
            first = idempotency.reserve(scope, key, _fingerprint())
        if first is not None:
            return _replay(first)
        g.idempotency_key, g.idempotency_kept = (scope, key), False
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            if not g.idempotency_kept:  # the work committed with its answer: keep both
                with unit_of_work():
                    idempotency.release(scope, key)
            raise
        if not g.idempotency_kept:
            _store(scope, key, response)
        return response
    return wrapped


def keep_answer(body: dict, status: int) -> None:
    """Inside the view's unit of work: store its answer in the same transaction as its work,
    when the request came with a key."""
    held = g.get("idempotency_key")
    if held is None:
        return
    idempotency.record(*held, status, current_app.json.dumps(body))
    after_commit(_kept, key=("idempotency", held))


def _kept() -> None:
    g.idempotency_kept = True


def _store(scope: str, key: str, response: Response) -> None:
    """Keep the answer for repeats. The view's work is committed by now: when the database
    connection was cut just after (a restart, a failover), the answer is stored once more on
    a fresh connection, or a retry would find the key held for good and never learn it."""
    for attempt in (1, 2):
        try:
            with unit_of_work():
                idempotency.record(scope, key, response.status_code,
                                   response.get_data(as_text=True))
            return
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise


def _scope() -> str:
    """Keys belong to the bearer token that sent them (a digest; the token is not stored)."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return hashlib.sha256(token.encode()).hexdigest()


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data())
    return digest.hexdigest()


def _replay(answer: idempotency.Answer) -> Response:
    response = Response(answer.body, status=answer.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response
