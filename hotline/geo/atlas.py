"""Where an address or a coordinate is: a point, its district and street, and how exact.

The :class:`Atlas` holds the city's places (:mod:`hotline.geo.features`) and, optionally, the
keyword gazetteer (roads, landmarks and communities → district and street) that routing uses.
:meth:`Atlas.locate` parses the address first (:mod:`hotline.geo.address`), then looks for
named points (landmarks, communities: ``exact``), streets and roads (the street's centre:
``street``) and districts (the district's centre: ``district``); the request's text is read the
same way when the address says less. :meth:`Atlas.where` finds the district and street of a
coordinate by its outlines (a citizen's phone sent a position).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from classifier.gazetteer import Gazetteer
from classifier.normalize import to_halfwidth, to_simplified
from hotline.geo.address import parse_address
from hotline.geo.features import AREA_KINDS, Feature

EXACT, STREET, DISTRICT = "exact", "street", "district"
_RANK = {EXACT: 3, STREET: 2, DISTRICT: 1}


@dataclass(frozen=True)
class Fix:
    """A position found for a request: WGS84, how exact, the district and street it lies in,
    and the words that gave it."""

    lat: float
    lon: float
    accuracy: str
    district: str | None
    street: str | None
    matched: str = ""


@dataclass(frozen=True)
class Area:
    """A district or street: its outline rings (lon, lat), bounding box and centre."""

    kind: str
    name: str
    district: str
    rings: tuple[tuple[tuple[float, float], ...], ...]
    box: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    center: tuple[float, float]

    @property
    def middle(self) -> tuple[float, float]:
        """The centroid of the largest ring (where a label goes), else the centre."""
        return _centroid(list(max(self.rings, key=len))) if self.rings else self.center

    def contains(self, lon: float, lat: float) -> bool:
        """True when the position lies inside one of the outline's rings."""
        if not (self.box[0] <= lon <= self.box[2] and self.box[1] <= lat <= self.box[3]):
            return False
        return any(_inside(ring, lon, lat) for ring in self.rings)


def _inside(ring, x: float, y: float) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _centroid(ring) -> tuple[float, float]:
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return (sum(xs) / len(xs), sum(ys) / len(ys))
    return (cx / (3 * area), cy / (3 * area))


def _area_of(feature: Feature) -> Area:
    rings = tuple(tuple(r[:-1]) if r[0] == r[-1] else tuple(r) for r in feature.outline)
    if rings:
        xs = [p[0] for r in rings for p in r]
        ys = [p[1] for r in rings for p in r]
        box = (min(xs), min(ys), max(xs), max(ys))
        largest = max(rings, key=len)
        center = feature.point or _centroid(list(largest))
    else:
        center = feature.point or (0.0, 0.0)
        box = (center[0], center[1], center[0], center[1])
    return Area(feature.kind, feature.name, feature.district, rings, box, center)


def _prepare(value: str) -> str:
    return to_simplified(to_halfwidth(value)).strip().lower()


@dataclass(frozen=True)
class _Point:
    lon: float
    lat: float
    accuracy: str
    district: str
    street: str | None


class Atlas:
    """The city's places by name and by outline; build it once and ask it often."""

    def __init__(self, features: Iterable[Feature], gazetteer: Gazetteer | None = None):
        latest: dict[tuple[str, str, str], Feature] = {}
        for feature in features:  # a later file's place replaces an earlier one's
            latest[feature.key] = feature
        self.districts: dict[str, Area] = {}
        self.streets: dict[tuple[str, str], Area] = {}
        for feature in latest.values():
            if feature.kind == "district":
                self.districts[feature.name] = _area_of(feature)
            elif feature.kind == "street":
                self.streets[(feature.district, feature.name)] = _area_of(feature)
        self._gazetteer = gazetteer
        self._names: dict[str, _Point] = {}
        self._add_points(f for f in latest.values() if f.kind not in AREA_KINDS)
        self._add_areas()
        self._keywords = sorted(self._names, key=lambda k: (-len(k), k))

    def _add_points(self, points: Iterable[Feature]) -> None:
        for feature in points:
            lon, lat = feature.point  # type: ignore[misc]
            street = feature.street or self._street_at(feature.district, lon, lat)
            # a road is a line: its point says the street, not the house
            accuracy = STREET if feature.kind == "road" else EXACT
            place = _Point(lon, lat, accuracy, feature.district, street)
            for name in (feature.name, *feature.keywords):
                self._names.setdefault(_prepare(name), place)

    def _add_areas(self) -> None:
        for (district, name), area in self.streets.items():
            place = _Point(area.center[0], area.center[1], STREET, district, name)
            for key in {name, name.removesuffix("街道") if len(name) > 4 else name}:
                self._names.setdefault(_prepare(key), place)
        for name, area in self.districts.items():
            self._names.setdefault(_prepare(name), _Point(area.center[0], area.center[1],
                                                          DISTRICT, name, None))

    def _street_at(self, district: str, lon: float, lat: float) -> str | None:
        for (street_district, name), area in self.streets.items():
            if street_district == district and area.contains(lon, lat):
                return name
        return None

    # ------------------------------------------------------------------ questions

    def where(self, lat: float, lon: float) -> tuple[str | None, str | None]:
        """The district and street whose outlines hold the position (None where none does)."""
        for name, area in self.districts.items():
            if area.contains(lon, lat):
                return name, self._street_at(name, lon, lat)
        return None, None

    def at(self, lat: float, lon: float) -> Fix:
        """A position given by a device (WeChat, Open311): exact, with its district and street."""
        district, street = self.where(lat, lon)
        return Fix(lat, lon, EXACT, district, street, "")

    def locate(self, address: str | None, text: str | None = None) -> Fix | None:
        """The best position for a request: from its address, refined (within the same
        district) or replaced (when the address gives nothing) by places named in its text."""
        from_address = self._read(address) if address else None
        if from_address is not None and from_address.accuracy == EXACT:
            return from_address
        from_text = self._read(text) if text else None
        if from_text is None:
            return from_address
        if from_address is None:
            return from_text
        finer = _RANK[from_text.accuracy] > _RANK[from_address.accuracy]
        same = from_text.district == from_address.district and (
            from_address.street is None or from_text.street == from_address.street)
        return from_text if finer and same else from_address

    def _read(self, value: str) -> Fix | None:
        parsed = parse_address(value)
        best = self._named(_prepare(value), parsed.district)
        for part in (parsed.street, parsed.road):
            if part and best is None:
                best = self._named(_prepare(part), parsed.district)
        listed = self._by_gazetteer(value, parsed.district)
        # the gazetteer wins with a longer phrase around the same name (九眼桥南 is across the
        # river from 九眼桥), or when the names here said no more than the district
        if listed is not None and (best is None or best.accuracy == DISTRICT or (
                len(listed.matched) > len(best.matched) and best.matched in listed.matched)):
            best = listed
        if best is None and parsed.district:
            best = self._named(_prepare(parsed.district), None)
        return best

    def _named(self, value: str, district: str | None) -> Fix | None:
        """The most specific known name inside ``value`` (longest first); a name in another
        district than the address names is skipped."""
        found: Fix | None = None
        for keyword in self._keywords:
            if keyword not in value:
                continue
            place = self._names[keyword]
            if district and place.district != district and district in self.districts:
                continue
            fix = Fix(place.lat, place.lon, place.accuracy, place.district, place.street, keyword)
            if found is None or _RANK[fix.accuracy] > _RANK[found.accuracy]:
                found = fix
            if found.accuracy == EXACT:
                break
        return found

    def _by_gazetteer(self, value: str, district: str | None) -> Fix | None:
        """The routing gazetteer's keywords (roads, communities) give a district and street;
        the street's centre stands for the position."""
        if self._gazetteer is None:
            return None
        location = self._gazetteer.locate(value, None)
        if location is None or (district and location.district != district):
            return None
        if location.street and (location.district, location.street) in self.streets:
            area = self.streets[(location.district, location.street)]
            return Fix(area.center[1], area.center[0], STREET, location.district,
                       location.street, location.matched)
        if location.district in self.districts:
            area = self.districts[location.district]
            return Fix(area.center[1], area.center[0], DISTRICT, location.district, None,
                       location.matched)
        return None

    def bounds(self, district: str | None = None) -> tuple[float, float, float, float] | None:
        """The bounding box (min lon, min lat, max lon, max lat) of one district or all."""
        areas = [self.districts[district]] if district in self.districts else (
            list(self.districts.values()) if district is None else [])
        if not areas:
            return None
        return (min(a.box[0] for a in areas), min(a.box[1] for a in areas),
                max(a.box[2] for a in areas), max(a.box[3] for a in areas))


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) positions."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371000 * math.asin(math.sqrt(h))
