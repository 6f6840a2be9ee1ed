"""The map of cases: counts by district and street, points binned into cells, clusters of
similar requests where they are, and the cases behind a cell or street.

Everything is counted in SQL (``GROUP BY`` district and street, or the rounded position), so
a period of 50,000 cases costs a few hundred rows, never 50,000 circles. Department staff see
their own department's cases only (:func:`stats.scope`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.geo.atlas import Atlas
from hotline.models import OPEN_STATUSES, Case, CaseStatus, Category
from hotline.services import directory, places, stats
from hotline.services.actors import Actor
from hotline.services.periods import Period, period_from
from hotline.services.validation import choice, optional_text

CASES_LISTED = 50
MARKS_SHOWN = 10  # the largest clusters drawn on the map
FEATURES_MAX = 5000
#: cell size in degrees of latitude at city level and at district level (about 1.1 km, 330 m)
CITY_CELL, DISTRICT_CELL = 0.01, 0.003
OPEN = "open"


@dataclass(frozen=True)
class MapFilter:
    """What the map shows: a period, optionally one category (with its sub-categories), a
    status (or ``open``), a department (staff: always their own) and a district to zoom to."""

    period: Period
    department_id: int | None = None
    category_ids: tuple[int, ...] | None = None
    status: str | None = None
    district: str | None = None
    street: str | None = None

    def where(self, query):
        """The filter as conditions on ``case``."""
        start, end = self.period.window()
        query = query.where(Case.created_at >= start, Case.created_at < end)
        if self.department_id is not None:
            query = query.where(Case.department_id == self.department_id)
        if self.category_ids is not None:
            query = query.where(Case.category_id.in_(self.category_ids))
        if self.status == OPEN:
            query = query.where(Case.status.in_(OPEN_STATUSES))
        elif self.status:
            query = query.where(Case.status == self.status)
        if self.district:
            query = query.where(Case.district == self.district)
        if self.street:
            query = query.where(Case.street == self.street)
        return query


def map_filter(actor: Actor, args) -> MapFilter:
    """The filter from a page's or the API's query (plain strings), checked; a department
    account is held to its own department."""
    period = period_from(args.get("from"), args.get("to"))
    department_id = stats.scope(actor, args.get("department") or None)
    status = args.get("status") or None
    if status and status != OPEN:
        status = choice(status, CaseStatus, "status").value
    category_ids = None
    if args.get("category"):
        category = directory.category_by_code(args.get("category"), field="category")
        category_ids = _with_children(category.id)
    return MapFilter(period, department_id, category_ids, status,
                     optional_text(args.get("district"), "district", max_chars=40),
                     optional_text(args.get("street"), "street", max_chars=60))


def _with_children(category_id: int) -> tuple[int, ...]:
    rows = db.session.execute(select(Category.id, Category.parent_id)).all()
    found, frontier = {category_id}, [category_id]
    while frontier:
        parent = frontier.pop()
        for cid, pid in rows:
            if pid == parent and cid not in found:
                found.add(cid)
                frontier.append(cid)
    return tuple(sorted(found))


@dataclass
class MapCounts:
    """The figures one map draws."""

    districts: Counter = field(default_factory=Counter)  # district -> cases
    streets: Counter = field(default_factory=Counter)  # (district, street) -> cases
    accuracy: Counter = field(default_factory=Counter)  # exact/street/district/None -> cases
    cells: list[tuple[float, float, int]] = field(default_factory=list)  # lat, lon, cases
    cell: float = CITY_CELL
    total: int = 0


def counts(flt: MapFilter) -> MapCounts:
    """Cases by district and street, by accuracy, and located cases by cell; all in SQL."""
    out = MapCounts(cell=DISTRICT_CELL if flt.district else CITY_CELL)
    lat_key = func.round(Case.lat / out.cell)
    lon_key = func.round(Case.lon / out.cell)
    # one pass over the map index (ix_case_map): by place, accuracy and cell at once
    rows = db.session.execute(flt.where(
        select(Case.district, Case.street, Case.geo_accuracy, lat_key, lon_key, func.count())
    ).group_by(Case.district, Case.street, Case.geo_accuracy, lat_key, lon_key))
    cells: Counter = Counter()
    for district, street, accuracy, lat, lon, n in rows:
        out.total += n
        out.accuracy[accuracy.value if accuracy else None] += n
        if district:
            out.districts[district] += n
            if street:
                out.streets[(district, street)] += n
        if lat is not None:
            cells[(float(lat), float(lon))] += n
    out.cells = [(lat * out.cell, lon * out.cell, n) for (lat, lon), n in cells.items()]
    return out


def cell_bounds(lat: object, lon: object, size: object) -> tuple[float, float, float]:
    """A cell asked for by the page (its centre and size), checked."""
    position = places.checked_position(lat, lon)
    try:
        cell = float(size)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("「{field}」必须是数字", field="cell") from None
    if cell not in (CITY_CELL, DISTRICT_CELL):
        raise InvalidInput("「{field}」的值「{value}」无效，可选：{choices}", field="cell",
                           value=str(size), choices=f"{CITY_CELL}, {DISTRICT_CELL}")
    return position[0], position[1], cell


def cases_at(flt: MapFilter, cell: tuple[float, float, float] | None = None) -> list[Case]:
    """The newest cases of the filter (in one cell when given), for the list under the map."""
    query = flt.where(select(Case.id))
    if cell is not None:
        lat, lon, size = cell
        query = query.where(func.round(Case.lat / size) == round(lat / size),
                            func.round(Case.lon / size) == round(lon / size))
    # the ids come from the map index alone; only the newest few rows are read whole
    newest = sorted(db.session.scalars(query), reverse=True)[:CASES_LISTED]
    if not newest:
        return []
    return list(db.session.scalars(select(Case).where(Case.id.in_(newest))
                                   .order_by(Case.id.desc())))


@dataclass(frozen=True)
class ClusterMark:
    """A cluster of similar requests drawn where its located cases are (their mean)."""

    label: str
    place: str | None
    lat: float
    lon: float
    numbers: tuple[str, ...]


def cluster_marks(views, flt: MapFilter) -> list[ClusterMark]:
    """The largest hotspot clusters (:func:`hotspots.cluster_views`) with a point, only
    their cases the filter allows (a department sees its own cases' clusters)."""
    ids = [c.id for view in views for c in view.cases]
    if not ids:
        return []
    allowed = {row.id: row for row in db.session.execute(flt.where(
        select(Case.id, Case.lat, Case.lon, Case.number)
        .where(Case.id.in_(ids), Case.lat.is_not(None))))}
    marks = []
    for view in views:
        members = [allowed[c.id] for c in view.cases if c.id in allowed]
        if len(members) >= 2:
            marks.append(ClusterMark(
                view.label, view.place, sum(m.lat for m in members) / len(members),
                sum(m.lon for m in members) / len(members),
                tuple(m.number for m in members)))
    return sorted(marks, key=lambda m: -len(m.numbers))[:MARKS_SHOWN]


def features(flt: MapFilter, *, limit: int = 1000) -> dict:
    """The located cases of the filter as a GeoJSON FeatureCollection (newest first, at most
    ``limit``); ``total`` counts them all and ``truncated`` says when some were left out."""
    if not 1 <= limit <= FEATURES_MAX:
        raise InvalidInput("「{field}」必须在 {min} 到 {max} 之间", field="limit", min=1,
                           max=FEATURES_MAX)
    located = flt.where(select(Case.id).where(Case.lat.is_not(None)))
    total = db.session.scalar(select(func.count()).select_from(located.subquery()))
    rows = db.session.execute(flt.where(
        select(Case.number, Case.status, Case.lat, Case.lon, Case.geo_accuracy, Case.district,
               Case.street, Case.created_at, Category.code)
        .outerjoin(Category, Case.category_id == Category.id)
        .where(Case.lat.is_not(None))).order_by(Case.id.desc()).limit(limit))
    items = [{
        "type": "Feature", "id": r.number,
        "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
        "properties": {"number": r.number, "status": r.status.value,
                       "accuracy": r.geo_accuracy.value if r.geo_accuracy else None,
                       "category": r.code, "district": r.district, "street": r.street,
                       "created_at": r.created_at.isoformat()},
    } for r in rows]
    return {"type": "FeatureCollection", "features": items, "total": total,
            "truncated": total > len(items)}


def the_atlas() -> Atlas | None:
    """The city's outlines and names, for drawing."""
    return places.atlas()
