"""Links to the citizen's tracking page, built in one place.

Every text that sends a citizen to their case (the channel acknowledgement, the follow-up
survey, e-mail and SMS, the pages) uses :func:`tracking_url`, so the address and its
parameters change together. The query code opens the case, so it travels only to the
citizen; :func:`tracking_url` with ``with_code=False`` gives the link without it.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlencode

from flask import current_app


class Trackable(Protocol):
    """What a tracking link needs of a case."""

    number: str
    query_code: str


def public_base() -> str:
    """The public address of the hotline's citizen pages, without a trailing slash."""
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def tracking_url(case: Trackable, *, with_code: bool = True) -> str:
    """``{PUBLIC_URL}/track?number=..&code=..``: the page where the citizen follows and rates
    the case; ``with_code=False`` leaves the query code out (the citizen types it in)."""
    params = {"number": case.number}
    if with_code:
        params["code"] = case.query_code
    return f"{public_base()}/track?{urlencode(params)}"
