"""Where a case should go: the place it concerns and the department that fits its category.

The classifier (``classifier`` package) adds suggestions on top of this; these rules are
what applies when there is no model, and they are how a category turns into a department.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Category, Department

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Place:
    district: str | None
    street: str | None


@lru_cache(maxsize=4)
def _gazetteer(path: str):
    from classifier.gazetteer import Gazetteer

    return Gazetteer.load(path)


def gazetteer_path() -> str:
    """The configured gazetteer, else the one shipped with the classifier."""
    configured = current_app.config.get("GAZETTEER")
    if configured:
        return configured
    import classifier

    return str(Path(classifier.__file__).parent / "data" / "gazetteer.csv")


_UNAVAILABLE: set[str] = set()


def loaded_gazetteer():
    """The gazetteer, or None when it cannot be loaded: said once per process, not retried
    (and logged) on every registration."""
    key = current_app.config.get("GAZETTEER") or ""
    if key in _UNAVAILABLE:
        return None
    try:
        return _gazetteer(gazetteer_path())
    except (ImportError, OSError) as exc:  # no gazetteer: routing falls back to categories
        log.warning("gazetteer unavailable: %s", exc)
        _UNAVAILABLE.add(key)
        return None


def locate(address: str | None, text: str | None) -> Place | None:
    """The district and street a request concerns, from its address or else its text."""
    gazetteer = loaded_gazetteer()
    if gazetteer is None:
        return None
    location = gazetteer.locate(address, text)
    if location is None:
        return None
    return Place(district=location.district, street=location.street)


def department_for(category: Category | None, district: str | None) -> Department | None:
    """The category's department; for 属地 categories, the district government of the place."""
    if category is None:
        return None
    if category.local_routing and district:
        local = db.session.scalars(
            select(Department).where(Department.district == district,
                                     Department.parent_id.is_(None),
                                     Department.active.is_(True))
        ).first()
        if local is not None:
            return local
    return category.default_department
