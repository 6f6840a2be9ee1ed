"""Places with coordinates: the city's map (shipped GeoJSON plus places admins imported), a
case's point and accuracy, and the backfill of existing cases.

The :class:`~hotline.geo.atlas.Atlas` is built once per process and rebuilt when another
process imported places: an import raises the ``places`` counter (:mod:`freshness`), which a
process reads at most every :data:`CHECK_EVERY` seconds, so registration pays for no query.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, select, update

from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.geo.atlas import Atlas, Fix
from hotline.geo.features import Feature, PlaceFileError, read_places
from hotline.models import Case, GeoAccuracy, Place, PlaceKind, utcnow
from hotline.services import freshness, routing
from hotline.services.actors import Actor

log = logging.getLogger(__name__)
CHECK_EVERY = 10.0  # seconds between two looks at the places counter
BACKFILL_BATCH = 1000
_lock = threading.Lock()
_state: dict = {"atlas": None, "generation": None, "checked": 0.0, "key": None}


_DEMO_CITY = str(Path(__file__).resolve().parent.parent / "data" / "places.geojson")


def shipped_path() -> str:
    """The configured map of the city, else the demo city's."""
    configured = current_app.config.get("PLACES")
    return str(configured) if configured else _DEMO_CITY


@lru_cache(maxsize=4)
def _shipped(path: str) -> tuple[Feature, ...]:
    return tuple(read_places(Path(path).read_bytes(), path))


def _imported() -> list[Feature]:
    rows = db.session.scalars(select(Place).order_by(Place.id))
    return [Feature(kind=row.kind.value, name=row.name, district=row.district,
                    street=row.street, keywords=tuple(k for k in row.keywords.split("|") if k),
                    point=(row.lon, row.lat) if row.lat is not None else None,
                    outline=tuple(tuple(tuple(p) for p in ring) for ring in row.outline or ()))
            for row in rows]


def atlas() -> Atlas | None:
    """The city's atlas, or None when the map cannot be read (said once in the log)."""
    now = time.monotonic()
    key = (shipped_path(), current_app.config.get("GAZETTEER") or "")
    if (_state["atlas"] is not None and _state["key"] == key
            and now - _state["checked"] < CHECK_EVERY):
        return _state["atlas"]
    generation = freshness.value(freshness.PLACES)
    _state["checked"] = now
    if _state["key"] == key and _state["generation"] == generation and _state["atlas"]:
        return _state["atlas"]
    with _lock:
        try:
            built = Atlas([*_shipped(key[0]), *_imported()], routing.loaded_gazetteer())
        except (OSError, PlaceFileError) as exc:
            if _state["key"] != key:
                log.warning("map of the city unavailable: %s", exc)
            built = None
        _state.update(atlas=built, generation=generation, key=key)
    return built


def forget() -> None:
    """Drop the atlas: the next question rebuilds it (after an import in this process)."""
    _state.update(atlas=None, generation=None, checked=0.0, key=None)


def fix_for(address: str | None, text: str | None, *, district: str | None = None,
            street: str | None = None) -> Fix | None:
    """The point of a request from its address, else its text. When routing already found
    the district and street (``district``, ``street``), a point elsewhere gives way to the
    centre of that street or district, so the map and the routing agree."""
    found = atlas()
    if found is None:
        return None
    fix = found.locate(address, text)
    if district is None:
        return fix
    if fix is not None and fix.district == district and (street is None
                                                         or fix.street == street):
        return fix
    return centre_of(found, district, street)


def centre_of(found: Atlas, district: str, street: str | None) -> Fix | None:
    """The centre of a known street, else of its district, as a fix of that accuracy."""
    if street and (district, street) in found.streets:
        area = found.streets[(district, street)]
        return Fix(area.center[1], area.center[0], GeoAccuracy.STREET.value, district, street)
    if district in found.districts:
        area = found.districts[district]
        return Fix(area.center[1], area.center[0], GeoAccuracy.DISTRICT.value, district, None)
    return None


def checked_position(lat: object, lon: object) -> tuple[float, float]:
    """A device's position as two numbers in range, or InvalidInput naming the field."""
    values = []
    for value, name, limit in ((lat, "lat", 90), (lon, "long", 180)):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidInput("「{field}」必须是数字", field=name) from None
        if not -limit <= number <= limit:  # NaN fails this too
            raise InvalidInput("「{field}」必须在 {min} 到 {max} 之间", field=name,
                               min=-limit, max=limit)
        values.append(number)
    return values[0], values[1]


def at(lat: float, lon: float) -> Fix:
    """A device's position: exact, in the district and street whose outlines hold it."""
    found = atlas()
    if found is None:
        return Fix(lat, lon, GeoAccuracy.EXACT.value, None, None)
    return found.at(lat, lon)


def place_case(case: Case, fix: Fix | None) -> None:
    """Give the case its point (nothing when ``fix`` is None)."""
    if fix is None:
        return
    case.lat, case.lon = round(fix.lat, 6), round(fix.lon, 6)
    case.geo_accuracy = GeoAccuracy(fix.accuracy)


# ---------------------------------------------------------------- import


@dataclass
class ImportOutcome:
    """How many places an import added and replaced."""

    created: int = 0
    updated: int = 0


def import_places(actor: Actor, data: bytes, filename: str) -> ImportOutcome:
    """Check a place file and store its places (all or none; a place of the same kind,
    district and name is replaced) in the caller's transaction. Raises
    :class:`~hotline.geo.features.PlaceFileError` listing every problem by line and field."""
    features = read_places(data, filename)
    existing = {(p.kind.value, p.district, p.name): p for p in db.session.scalars(select(Place))}
    outcome = ImportOutcome()
    for feature in features:
        row = existing.get(feature.key)
        if row is None:
            row = Place(kind=PlaceKind(feature.kind), name=feature.name,
                        district=feature.district)
            db.session.add(row)
            existing[feature.key] = row
            outcome.created += 1
        else:
            outcome.updated += 1
        row.street = feature.street
        row.keywords = "|".join(feature.keywords)
        row.lon, row.lat = feature.point if feature.point else (None, None)
        row.outline = [[list(p) for p in ring] for ring in feature.outline] or None
        row.source = filename[-200:]
        row.imported_by_id = actor.user_id
        row.imported_at = utcnow()
    db.session.flush()  # raises the places counter (freshness) in this transaction
    forget()
    return outcome


def imported_places() -> list[Place]:
    """The places admins imported, by district, kind and name."""
    return list(db.session.scalars(select(Place).order_by(Place.district, Place.kind,
                                                          Place.name)))


# ---------------------------------------------------------------- backfill


def backfill(*, redo: bool = False, batch: int = BACKFILL_BATCH,
             after_id: int = 0) -> tuple[int, int, int]:
    """Give points to one batch of cases that have none (all cases with ``redo``), in id
    order after ``after_id``; returns (cases read, cases located, last id). Only the point
    columns change: the district and street that routed a case stay as they were, and the
    case's version is not raised (no one's open form goes stale)."""
    query = (select(Case.id, Case.address, Case.content, Case.district, Case.street)
             .where(Case.id > after_id).order_by(Case.id).limit(batch))
    if not redo:
        query = query.where(Case.lat.is_(None))
    rows = db.session.execute(query).all()
    values = []
    for row in rows:
        fix = _open311_position(row.address) or fix_for(row.address, row.content,
                                                         district=row.district,
                                                         street=row.street)
        if fix is not None:
            values.append({"key": row.id, "lat": round(fix.lat, 6), "lon": round(fix.lon, 6),
                           "acc": GeoAccuracy(fix.accuracy)})
    if values:
        db.session.connection().execute(
            update(Case.__table__).where(Case.__table__.c.id == bindparam("key"))
            .values(lat=bindparam("lat"), lon=bindparam("lon"),
                    geo_accuracy=bindparam("acc")), values)
    return len(rows), len(values), rows[-1].id if rows else after_id


def _open311_position(address: str | None) -> Fix | None:
    """Open311 requests before the map stored their lat/long as the address 'lat,long'."""
    lat, sep, lon = (address or "").partition(",")
    if not sep:
        return None
    try:
        position = checked_position(lat.strip(), lon.strip())
    except InvalidInput:
        return None
    return at(*position)
