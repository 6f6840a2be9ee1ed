"""Server-side SVG maps: outlines shaded by counts, binned points, cluster marks, one case.

The projection is equirectangular around the middle latitude of the box (x = longitude ×
cos φ₀, y = −latitude), exact enough for a city. No tiles, no scripts: every shape is drawn
here from plain data and links are ordinary ``<a href>`` elements, so the map works on an
offline intranet and prints. Every text is XML-escaped; the result is embedded with ``|safe``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hotline.reporting.charts import FONT_FAMILY, NO_DATA_FILL, scale_colour

__all__ = ["Area", "Cell", "Mark", "Projection", "draw_map"]

_POINT_FILL = "#0b4f8a"
_MARK = "#c0392b"
_INK = "#1a1a1a"


@dataclass(frozen=True)
class Area:
    """An outline to shade: its rings of (lon, lat), count, link and label position."""

    name: str
    rings: Sequence[Sequence[tuple[float, float]]]
    value: int | None
    href: str | None = None
    center: tuple[float, float] | None = None  # (lon, lat)
    title: str = ""


@dataclass(frozen=True)
class Cell:
    """Located cases counted in one cell, drawn as a circle sized by the count."""

    lat: float
    lon: float
    count: int
    href: str | None = None
    title: str = ""


@dataclass(frozen=True)
class Mark:
    """A cluster of similar requests (or one case) drawn as a ring where it is."""

    lat: float
    lon: float
    label: str
    href: str | None = None
    title: str = ""


class Projection:
    """Longitude/latitude to SVG pixels for a box drawn ``width`` wide (height follows)."""

    def __init__(self, box: tuple[float, float, float, float], width: float, pad: float = 16):
        min_lon, min_lat, max_lon, max_lat = box
        self.k = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = max((max_lon - min_lon) * self.k, 1e-6)
        span_y = max(max_lat - min_lat, 1e-6)
        self.scale = (width - 2 * pad) / span_x
        self.min_lon, self.max_lat, self.pad = min_lon, max_lat, pad
        self.width = width
        self.height = span_y * self.scale + 2 * pad

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.pad + (lon - self.min_lon) * self.k * self.scale,
                self.pad + (self.max_lat - lat) * self.scale)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _link(body: str, href: str | None, title: str) -> str:
    tip = f"<title>{_esc(title)}</title>" if title else ""
    if not href:
        return f"<g>{tip}{body}</g>"
    return f'<a href="{_esc(href)}">{tip}{body}</a>'


def _path(rings, project: Projection) -> str:
    parts = []
    for ring in rings:
        points = [project(lon, lat) for lon, lat in ring]
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _areas(areas: Sequence[Area], project: Projection,
           labels: bool) -> tuple[list[str], list[str]]:
    top = max((a.value or 0 for a in areas), default=0)
    out, texts = [], []
    label_size = 15 if len(areas) <= 8 else 11
    for area in areas:
        t = (area.value or 0) / top if top and area.value else None
        # the lighter half of the scale: the circles on top must stay readable
        fill = NO_DATA_FILL if t is None else scale_colour(0.03 + 0.5 * t)
        shape = (f'<path class="hl-map-area" d="{_path(area.rings, project)}" fill="{fill}" '
                 f'stroke="#ffffff" stroke-width="1.5"/>')
        out.append(_link(shape, area.href, area.title or area.name))
        if labels and area.center and _wide_enough(area, project, label_size):
            x, y = project(*area.center)
            texts.append(
                f'<text class="hl-map-label" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" '
                f'font-size="{label_size}" font-weight="bold" fill="{_INK}" stroke="#ffffff" '
                f'stroke-width="3.5" paint-order="stroke" pointer-events="none">'
                f'{_esc(area.name)}<tspan x="{x:.1f}" dy="1.2em" font-weight="normal">'
                f'{_esc(area.value or 0)}</tspan></text>')
    return out, texts


def _wide_enough(area: Area, project: Projection, size: int) -> bool:
    """Whether the area is drawn wide enough to carry its name (a small one is named in
    its tooltip and in the table beside the map)."""
    xs = [project(lon, lat)[0] for ring in area.rings for lon, lat in ring]
    return bool(xs) and max(xs) - min(xs) >= size * max(len(area.name) - 1, 2)


def _cells(cells: Sequence[Cell], project: Projection, max_radius: float) -> list[str]:
    top = max((c.count for c in cells), default=0)
    out = []
    for cell in sorted(cells, key=lambda c: -c.count):  # small ones on top, still clickable
        x, y = project(cell.lon, cell.lat)
        r = max(2.5, max_radius * math.sqrt(cell.count / top)) if top else 2.5
        body = (f'<circle class="hl-map-cell" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
                f'fill="{_POINT_FILL}" fill-opacity="0.7" stroke="#ffffff" '
                f'stroke-width="0.8"/>')
        if r >= 10:
            body += (f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" '
                     f'fill="#ffffff" pointer-events="none">{cell.count}</text>')
        out.append(_link(body, cell.href, cell.title))
    return out


def _marks(marks: Sequence[Mark], project: Projection) -> list[str]:
    out = []
    for mark in marks:
        x, y = project(mark.lon, mark.lat)
        body = (f'<circle class="hl-map-mark" cx="{x:.1f}" cy="{y:.1f}" r="11" fill="none" '
                f'stroke="{_MARK}" stroke-width="3"/>'
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{_MARK}"/>')
        if mark.label:
            body += (f'<text x="{x + 14:.1f}" y="{y + 4:.1f}" font-size="12" fill="{_MARK}" '
                     f'font-weight="bold" stroke="#ffffff" stroke-width="3" '
                     f'paint-order="stroke">{_esc(mark.label)}</text>')
        out.append(_link(body, mark.href, mark.title or mark.label))
    return out


def draw_map(box: tuple[float, float, float, float], areas: Sequence[Area], *,
             cells: Sequence[Cell] = (), marks: Sequence[Mark] = (), width: float = 860,
             title: str = "", labels: bool = True, max_radius: float = 22,
             outline: Sequence[Area] = ()) -> str:
    """The map of ``box`` (min lon, min lat, max lon, max lat): ``outline`` drawn plain
    under the shaded ``areas``, then the cells and the marks."""
    project = Projection(box, width)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="hl-map" role="img" '
        f'viewBox="0 0 {width:.0f} {project.height:.0f}" width="{width:.0f}" '
        f'height="{project.height:.0f}" font-family="{_esc(FONT_FAMILY)}">',
        f"<title>{_esc(title)}</title>" if title else "",
        f'<rect width="{width:.0f}" height="{project.height:.0f}" fill="#f4f7fa"/>',
    ]
    for area in outline:
        parts.append(f'<path d="{_path(area.rings, project)}" fill="#ffffff" '
                     f'stroke="#b8c2cc" stroke-width="1"/>')
    shapes, texts = _areas(areas, project, labels)
    parts += shapes
    parts += _cells(cells, project, max_radius)
    parts += texts
    parts += _marks(marks, project)
    parts.append("</svg>")
    return "".join(parts)
