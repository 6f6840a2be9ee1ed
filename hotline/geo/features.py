"""Place files: GeoJSON FeatureCollections and CSV tables, read and checked.

A place is a district or street (with an outline, a polygon), or a point: a community (小区,
社区), a landmark or a road. Every problem found names where it is (the CSV line or the
feature's number) and the field, so an admin can fix the file and import it again.

GeoJSON: each feature's ``properties`` carry ``kind``, ``name``, ``district`` (not for a
district), ``street`` (optional) and ``keywords`` (a list, or '|'-separated); its geometry is a
Polygon or MultiPolygon (districts, streets) or a Point ([longitude, latitude], WGS84).
CSV: the columns ``kind,name,district,street,lat,lon,keywords``; a district or street given
by CSV has a centre (lat, lon) but no outline.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field

KINDS = ("district", "street", "community", "landmark", "road")
AREA_KINDS = ("district", "street")
CSV_COLUMNS = ("kind", "name", "district", "street", "lat", "lon", "keywords")
MAX_FEATURES = 5000
MAX_NAME = 60
MAX_KEYWORDS = 50



def _(message: str) -> str:
    """Marks a message id for the catalogue (hotline.i18n_catalogue); the page that shows a
    problem translates it, with its parameters."""
    return message


_FILE = ("file", 0)
Ring = list[tuple[float, float]]  # (lon, lat) positions, closed


@dataclass(frozen=True)
class Feature:
    """One place: outline rings for an area (outer rings only), a point for the rest (and
    the centre of an area where one is given)."""

    kind: str
    name: str
    district: str
    street: str | None = None
    keywords: tuple[str, ...] = ()
    point: tuple[float, float] | None = None  # (lon, lat)
    outline: tuple[tuple[tuple[float, float], ...], ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a place the same place in a later file: kind, district and name."""
        return (self.kind, self.district, self.name)


#: how a problem's place in the file is said: the file, a CSV line, a GeoJSON feature
WHERE = {"file": _("文件"), "line": _("第{n}行"), "feature": _("第{n}个要素")}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a place file: where (the file, a CSV line or a feature's number),
    which field, and what (a message template in Chinese with its ``params``, so a page can
    say it in its own language)."""

    where: tuple[str, int]
    field: str
    message: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def place_template(self) -> str:
        """Where, as a message template with ``{n}``."""
        return WHERE[self.where[0]]

    @property
    def place(self) -> str:
        """Where, in Chinese (the template is in :data:`WHERE`)."""
        return WHERE[self.where[0]].format(n=self.where[1])

    def __str__(self) -> str:
        return f"{self.place}, {self.field}: {self.message.format(**dict(self.params))}"


@dataclass
class PlaceFileError(ValueError):
    """The file cannot be imported; ``problems`` lists every problem found (at most 50)."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: tuple[str, int], name: str, message: str, **params: object) -> None:
        if len(self.problems) < 50:
            self.problems.append(Problem(where, name, message, tuple(params.items())))


def read_places(data: bytes, filename: str) -> list[Feature]:
    """The places of a ``.geojson``/``.json`` or ``.csv`` file, or PlaceFileError."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlaceFileError([Problem(_FILE, "encoding", _("不是 UTF-8 编码"))]) from None
    if "\x00" in text:
        raise PlaceFileError([Problem(_FILE, "encoding", _("含有空字符"))])
    lower = filename.lower()
    if lower.endswith((".geojson", ".json")):
        return _from_geojson(text)
    if lower.endswith(".csv"):
        return _from_csv(text)
    raise PlaceFileError([Problem(_FILE, "filename", _("只接受 .geojson、.json 或 .csv 文件"))])


def _from_csv(text: str) -> list[Feature]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("kind", "name", "district", "lat", "lon")
               if c not in (reader.fieldnames or [])]
    if missing:
        raise PlaceFileError([Problem(("line", 1), c, _("缺少此列")) for c in missing])
    found, errors = [], _Collector()
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_FEATURES:
            errors.add(("line", number), "file", "超过 {n} 个地点", n=MAX_FEATURES)
            break
        where = ("line", number)
        props = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
        point = _csv_point(props, where, errors)
        feature = _feature(props, where, errors, point=point, outline=())
        if feature is not None:
            found.append(feature)
    return _done(found, errors)


def _csv_point(props: dict, where: str, errors: _Collector) -> tuple[float, float] | None:
    if not props["lat"] and not props["lon"] and props["kind"] in AREA_KINDS:
        return None
    lat = _number(props["lat"], where, "lat", 90, errors)
    lon = _number(props["lon"], where, "lon", 180, errors)
    return (lon, lat) if lat is not None and lon is not None else None


def _number(value: object, where: str, name: str, limit: float,
            errors: _Collector) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors.add(where, name, _("不是数字：{value}"), value=repr(str(value)[:20]))
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        errors.add(where, name, _("应在 -{limit} 到 {limit} 之间"), limit=limit)
        return None
    return number


def _from_geojson(text: str) -> list[Feature]:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise PlaceFileError([Problem(_FILE, "json", _("不是有效的 JSON：{error}"),
                                        (("error", str(exc)[:160]),))]) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection" \
            or not isinstance(document.get("features"), list):
        raise PlaceFileError([Problem(_FILE, "type", _("应为 GeoJSON FeatureCollection"))])
    if len(document["features"]) > MAX_FEATURES:
        raise PlaceFileError([Problem(_FILE, "features", _("超过 {n} 个地点"),
                                      (("n", MAX_FEATURES),))])
    found, errors = [], _Collector()
    for number, item in enumerate(document["features"], start=1):
        where = ("feature", number)
        if not isinstance(item, dict) or not isinstance(item.get("properties"), dict):
            errors.add(where, "properties", _("缺少 properties"))
            continue
        props = dict(item["properties"])
        point, outline = _geometry(item.get("geometry"), where, errors)
        if props.get("center") is not None and point is None:
            point = _position(props["center"], where, "center", errors)
        feature = _feature(props, where, errors, point=point, outline=outline)
        if feature is not None:
            found.append(feature)
    return _done(found, errors)


def _geometry(geometry: object, where: str, errors: _Collector):
    if not isinstance(geometry, dict):
        errors.add(where, "geometry", _("缺少 geometry"))
        return None, ()
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        return _position(coordinates, where, "geometry", errors), ()
    if kind in ("Polygon", "MultiPolygon"):
        polygons = [coordinates] if kind == "Polygon" else coordinates
        if not isinstance(polygons, list) or not polygons:
            errors.add(where, "geometry", _("坐标为空"))
            return None, ()
        rings = [_ring(polygon[0] if isinstance(polygon, list) and polygon else None, where,
                       errors) for polygon in polygons]
        return None, tuple(r for r in rings if r)
    errors.add(where, "geometry",
               _("不支持的几何类型：{kind}（应为 Point、Polygon 或 MultiPolygon）"),
               kind=str(kind)[:20])
    return None, ()


def _position(value: object, where: str, name: str,
              errors: _Collector) -> tuple[float, float] | None:
    if not isinstance(value, list | tuple) or len(value) < 2:
        errors.add(where, name, _("坐标应为 [经度, 纬度]"))
        return None
    lon = _number(value[0], where, f"{name}[0]", 180, errors)
    lat = _number(value[1], where, f"{name}[1]", 90, errors)
    return (lon, lat) if lon is not None and lat is not None else None


def _ring(value: object, where: str, errors: _Collector) -> tuple | None:
    if not isinstance(value, list) or len(value) < 4:
        errors.add(where, "geometry", _("多边形至少要有 4 个坐标（首尾相同）"))
        return None
    before = len(errors.problems)
    points = [_position(p, where, "geometry", errors) for p in value]
    if len(errors.problems) > before:
        return None
    if points[0] != points[-1]:
        errors.add(where, "geometry", _("多边形首尾坐标应相同"))
        return None
    return tuple(points)


def _feature(props: dict, where: str, errors: _Collector, *, point, outline) -> Feature | None:
    before = len(errors.problems)
    kind = str(props.get("kind") or "").strip()
    if kind not in KINDS:
        errors.add(where, "kind", _("应为 {choices} 之一"), choices=", ".join(KINDS))
    name = _text(props.get("name"), where, "name", errors, required=True)
    district = name if kind == "district" else _text(props.get("district"), where,
                                                      "district", errors, required=True)
    street = _text(props.get("street"), where, "street", errors, required=False)
    keywords = _keywords(props.get("keywords"), where, errors)
    said = any(p.where == where and p.field.startswith(("lat", "lon", "geometry", "center"))
               for p in errors.problems)  # a position already refused is not asked for again
    if kind in AREA_KINDS and not outline and point is None and not said:
        errors.add(where, "geometry", _("区县、街道需要边界多边形或中心坐标"))
    if kind not in AREA_KINDS and point is None and not said:
        errors.add(where, "geometry", _("地点需要坐标（Point 或 lat/lon）"))
    if len(errors.problems) > before:
        return None
    return Feature(kind, name, district, street if kind != "street" else name,
                   keywords, point, outline)


def _text(value: object, where: str, name: str, errors: _Collector, *,
          required: bool) -> str | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            errors.add(where, name, _("不能为空"))
        return None
    if len(text) > MAX_NAME or any(ord(c) < 32 for c in text):
        errors.add(where, name, _("应为不超过 {n} 个字的名称"), n=MAX_NAME)
        return None
    return text


def _keywords(value: object, where: str, errors: _Collector) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = value.split("|") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(k, str) for k in items):
        errors.add(where, "keywords", _("应为名称列表或用 | 分隔的名称"))
        return ()
    words = tuple(k.strip() for k in items if k.strip())
    if len(words) > MAX_KEYWORDS or any(len(k) > MAX_NAME for k in words):
        errors.add(where, "keywords", _("最多 {n} 个、每个不超过 {size} 字"), n=MAX_KEYWORDS,
                   size=MAX_NAME)
        return ()
    return words


def _done(found: list[Feature], errors: _Collector) -> list[Feature]:
    if errors.problems:
        raise PlaceFileError(errors.problems)
    if not found:
        raise PlaceFileError([Problem(_FILE, "features", _("文件中没有地点"))])
    return found


def to_geojson(feature: Feature) -> dict:
    """One place as a GeoJSON Feature (the inverse of reading it)."""
    props: dict = {"kind": feature.kind, "name": feature.name, "district": feature.district}
    if feature.street and feature.kind != "street":
        props["street"] = feature.street
    if feature.keywords:
        props["keywords"] = list(feature.keywords)
    if feature.outline:
        rings = [[[list(p) for p in ring]] for ring in feature.outline]
        geometry = ({"type": "Polygon", "coordinates": rings[0]} if len(rings) == 1
                    else {"type": "MultiPolygon", "coordinates": rings})
        if feature.point:
            props["center"] = list(feature.point)
    else:
        geometry = {"type": "Point", "coordinates": list(feature.point or ())}
    return {"type": "Feature", "properties": props, "geometry": geometry}
