"""Repeat requests: the same citizen again about the same thing, or many citizens about one
place. Similarity is character-bigram Jaccard (``hotline.channels.similarity``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select

from hotline.channels.similarity import is_exact_repeat, jaccard, shingles
from hotline.extensions import db
from hotline.models import OPEN_STATUSES, Case, CaseStatus, Citizen

#: A second SMS or WeChat message this soon after the first adds to the case it opened.
CONVERSATION_WINDOW = timedelta(minutes=10)
CANDIDATES = 300


@dataclass(frozen=True)
class Match:
    """A case that looks like the request, and how much (0-1)."""

    case: Case
    score: float


def window_start(now: datetime) -> datetime:
    """The oldest creation time still counted as recent for repeats."""
    return now - timedelta(days=current_app.config["REPEAT_WINDOW_DAYS"])


def threshold() -> float:
    """The similarity from which two requests count as alike (``REPEAT_SIMILARITY``)."""
    return current_app.config["REPEAT_SIMILARITY"]


def citizen_ids(phone: str | None, contact: str | None, limit: int = 500) -> list[int]:
    """The citizen records of a sender (every case registers its own), newest first."""
    conditions = []
    if phone:
        conditions.append(Citizen.phone == phone)
    if contact:
        conditions.append(Citizen.contact == contact)
    if not conditions:
        return []
    return list(db.session.scalars(select(Citizen.id).where(or_(*conditions))
                                   .order_by(Citizen.id.desc()).limit(limit)))


def open_cases_of(phone: str | None, contact: str | None, now: datetime,
                  limit: int = 20) -> list[Case]:
    """The citizen's open cases created within the repeat window, newest first.

    Two indexed look-ups (the sender's citizen rows, then their cases) rather than one join,
    so the plan never depends on how fresh the table statistics are.
    """
    ids = citizen_ids(phone, contact)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Case).where(Case.citizen_id.in_(ids), Case.status.in_(OPEN_STATUSES),
                           Case.created_at >= window_start(now))
        .order_by(Case.id.desc()).limit(limit)))


def exact_repeat(phone: str | None, contact: str | None, text: str,
                 now: datetime, candidates: list[Case] | None = None) -> Case | None:
    """The citizen's open case with the very same text (after normalisation), if any."""
    if candidates is None:
        candidates = open_cases_of(phone, contact, now)
    for case in candidates:
        if is_exact_repeat(text, case.content):
            return case
    return None


def possible_repeats(phone: str | None, contact: str | None, text: str,
                     now: datetime) -> list[Match]:
    """The citizen's open cases that resemble ``text``, most similar first."""
    mine = shingles(text)
    limit = threshold()
    found = [Match(case, jaccard(mine, shingles(case.content)))
             for case in open_cases_of(phone, contact, now)]
    return sorted((m for m in found if m.score >= limit), key=lambda m: -m.score)


def conversation_case(channel: str, phone: str | None, contact: str | None, now: datetime,
                      candidates: list[Case] | None = None) -> Case | None:
    """The case the citizen's previous message on this channel opened a few minutes ago and
    nobody has dispatched yet: a follow-up message belongs to it."""
    if candidates is None:
        candidates = open_cases_of(phone, contact, now)
    for case in candidates:  # newest first
        if (case.channel == channel and case.status == CaseStatus.REGISTERED
                and case.created_at >= now - CONVERSATION_WINDOW):
            return case
    return None


def similar_cases(case: Case, now: datetime, limit: int = 10) -> list[Match]:
    """Open cases from other requests about the same place (street, else district) whose
    text resembles this case's, most similar first: candidates for a merge (并单)."""
    if case.street:
        place = Case.street == case.street
    elif case.district:
        place = Case.district == case.district
    else:
        return []
    rows = db.session.scalars(
        select(Case).where(place, Case.id != case.id, Case.status.in_(OPEN_STATUSES),
                           Case.created_at >= window_start(now))
        .order_by(Case.id.desc()).limit(CANDIDATES))
    mine = shingles(case.content)
    cutoff = threshold()
    found = [Match(other, jaccard(mine, shingles(other.content))) for other in rows]
    return sorted((m for m in found if m.score >= cutoff), key=lambda m: -m.score)[:limit]
