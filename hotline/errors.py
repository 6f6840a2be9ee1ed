"""Errors a service raises; the web edge maps each to an HTTP status and a translated message.

``message`` is a Chinese message id from the translation catalogue with ``{named}``
placeholders, so the same refusal reads right in a page, the API and the CLI.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request the service refuses; nothing was written."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


class InvalidInput(ServiceError):
    """A field's value cannot be used (which field, and why)."""

    status = 422
    code = "invalid"


class NotFound(ServiceError):
    """Unknown, or not visible to the one asking (the two answer alike)."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    """The actor's role does not allow the action."""

    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    """The case is not in a state that allows the action."""

    status = 409
    code = "refused_transition"


class StaleVersion(Conflict):
    """Someone else changed the case first."""

    code = "stale_version"


class TooManyAttempts(ServiceError):
    """Too many failed guesses from one client; try again later."""

    status = 429
    code = "too_many_attempts"


class Malformed(ServiceError):
    """The request itself cannot be read (not JSON, not an object, a bad header)."""

    status = 400
    code = "malformed"


class Unauthorized(ServiceError):
    """No credentials, or credentials that do not check out."""

    status = 401
    code = "unauthorized"


class ChannelDisabled(ServiceError):
    """The channel has no secret configured: it answers 404, never open."""

    status = 404
    code = "channel_disabled"


class SignatureRefused(ServiceError):
    """The gateway's secret or signature did not check out (403, counted)."""

    status = 403
    code = "bad_signature"


class PayloadTooLarge(ServiceError):
    """The body is larger than any real message of the channel (413)."""

    status = 413
    code = "too_large"
