"""The map page's drawing: the city (districts shaded by cases, cells of points, cluster
marks) or one district (its streets), and the small map of one case."""

from __future__ import annotations

from collections.abc import Callable

from hotline.geo.atlas import Atlas
from hotline.i18n import gettext as _
from hotline.reporting import geomap
from hotline.services import places
from hotline.services.casemap import ClusterMark, MapCounts

Url = Callable[..., str]


def _margin(box: tuple[float, float, float, float], share: float = 0.04):
    dx, dy = (box[2] - box[0]) * share, (box[3] - box[1]) * share
    return (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)


def city_svg(atlas: Atlas, figures: MapCounts, marks: list[ClusterMark], url: Url) -> str:
    """The whole city: each district shaded by its cases and linked to its zoom."""
    areas = [geomap.Area(name, area.rings, figures.districts.get(name, 0),
                         href=url(district=name), center=area.center,
                         title=_("{name}：{n} 件，点击放大到街道", name=name,
                                 n=figures.districts.get(name, 0)))
             for name, area in atlas.districts.items()]
    return geomap.draw_map(_margin(atlas.bounds()), areas, cells=_cells(figures, url),
                           marks=_marks(marks, url), title=_("全市工单分布"))


def district_svg(atlas: Atlas, district: str, figures: MapCounts, marks: list[ClusterMark],
                 url: Url) -> str:
    """One district at street level: its streets shaded, finer cells, its clusters."""
    streets = [(name, area) for (d, name), area in atlas.streets.items() if d == district]
    areas = [geomap.Area(name, area.rings, figures.streets.get((district, name), 0),
                         href=url(district=district, street=name), center=area.middle,
                         title=_("{name}：{n} 件，点击查看工单", name=name,
                                 n=figures.streets.get((district, name), 0)))
             for name, area in streets]
    whole = atlas.districts[district]
    outline = [geomap.Area(district, whole.rings, None)]
    return geomap.draw_map(_margin(atlas.bounds(district)), areas, outline=outline,
                           cells=_cells(figures, url), marks=_marks(marks, url),
                           title=_("{district}工单分布（街道）", district=district),
                           max_radius=18)


def _cells(figures: MapCounts, url: Url) -> list[geomap.Cell]:
    return [geomap.Cell(lat, lon, n, href=url(lat=f"{lat:.4f}", lon=f"{lon:.4f}",
                                               cell=figures.cell),
                        title=_("此处 {n} 件，点击查看", n=n))
            for lat, lon, n in figures.cells]


def _marks(marks: list[ClusterMark], url: Url) -> list[geomap.Mark]:
    return [geomap.Mark(m.lat, m.lon, str(index),
                        href=url(numbers=",".join(m.numbers[:30])),
                        title=_("同类诉求聚集：{label}（{n} 件）", label=m.label,
                                n=len(m.numbers)))
            for index, m in enumerate(marks, start=1)]


def case_svg(atlas: Atlas, case) -> str | None:
    """A small map of the case's district (its streets) with the case's point; None when
    the case has no point or lies outside the map."""
    if case.lat is None:
        return None
    district = case.district if case.district in atlas.districts else None
    if district is None:
        district, _street = atlas.where(case.lat, case.lon)
    if district is None:
        return None
    streets = [geomap.Area(name, area.rings, 1 if name == case.street else None)
               for (d, name), area in atlas.streets.items() if d == district]
    mark = geomap.Mark(case.lat, case.lon, "", title=case.street or district)
    return geomap.draw_map(_margin(atlas.bounds(district), 0.06), streets, marks=[mark],
                           outline=[geomap.Area(district, atlas.districts[district].rings,
                                                None)],
                           width=360, labels=False, title=_("工单位置"))


def case_map(case) -> str | None:
    """The case page's small map (None without a point or a map)."""
    atlas = places.atlas()
    return case_svg(atlas, case) if atlas is not None else None
