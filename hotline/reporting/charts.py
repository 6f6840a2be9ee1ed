"""Server-side SVG charts for the oversight dashboard.

Government intranets have no CDN and no JavaScript chart library, so every chart is a
self-contained SVG string built here from plain data. Every piece of text is XML-escaped, so
the result can be embedded inline with Jinja's ``|safe``. Colours are given as presentation
attributes (sensible defaults for a standalone file) together with ``hl-*`` CSS classes: any
page rule on those classes overrides the defaults, because presentation attributes have the
lowest precedence in CSS. No ``<style>`` element is emitted, since an inline SVG's style sheet
would leak into the whole HTML page.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date

__all__ = [
    "CHENGDU_CENTRAL_LAYOUT",
    "FONT_FAMILY",
    "bar_chart",
    "district_map",
    "line_chart",
    "nice_ticks",
    "rate_gauge",
    "scale_colour",
    "text_width",
]

FONT_FAMILY = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif"
NO_DATA = "暂无数据"

# Schematic tile positions (column, row) of Chengdu's five central districts, roughly as they
# lie on a real map. Another city passes its own mapping as ``layout=``.
CHENGDU_CENTRAL_LAYOUT: dict[str, tuple[float, float]] = {
    "金牛区": (0, 0),
    "成华区": (1, 0),
    "青羊区": (0, 1),
    "锦江区": (1, 1),
    "武侯区": (0, 2),
}

# Okabe–Ito derived palette: distinguishable with the common forms of colour blindness.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#999933", "#555555")
# Sequential "oranges" scale for the map, light to dark.
SCALE_STOPS = ("#fff1e0", "#fdae6b", "#d94801", "#7f2704")
NO_DATA_FILL = "#d9d9d9"

_TEXT = "#333333"
_MUTED = "#777777"
_GRID = "#e3e3e3"
_TITLE_SIZE = 15
_PAD = 12

# Characters that XML 1.0 forbids even when escaped; a stray one would make the page's
# inline SVG unparsable, so they are dropped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


# --------------------------------------------------------------------------- text helpers


#: the fixed words a chart draws itself; :func:`relabel` puts them in another language
CHART_WORDS = (NO_DATA, "无数据")
_WORD_NODE = re.compile(r"(?<=[>：])(" + "|".join(re.escape(w) for w in CHART_WORDS) + r")(?=<)")


def relabel(svg: str, words: dict[str, str]) -> str:
    """The chart with its own fixed words (:data:`CHART_WORDS`) replaced by ``words`` (a
    translation), where a text node or a tooltip's value is one of them; titles and labels
    passed in are the caller's."""
    return _WORD_NODE.sub(lambda m: _esc(words.get(m.group(1), m.group(1))), svg)


def _esc(value: object) -> str:
    """Escape any value for use in XML text or a double-quoted attribute."""
    return html.escape(_XML_INVALID.sub("", str(value)), quote=True)


def _char_width(ch: str, size: float) -> float:
    # Wide (CJK) glyphs are about one em; Latin letters and digits about 0.6 em.
    return size if unicodedata.east_asian_width(ch) in ("W", "F") else size * 0.6


def text_width(text: str, size: float) -> float:
    """Estimate the rendered width of ``text`` at font ``size``, for layout without a font."""
    return sum(_char_width(ch, size) for ch in text)


def _truncate(text: str, max_width: float, size: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``max_width``."""
    if text_width(text, size) <= max_width:
        return text
    out, width = [], _char_width("…", size)
    for ch in text:
        width += _char_width(ch, size)
        if width > max_width:
            break
        out.append(ch)
    return "".join(out) + "…"


def _fmt(value: float | None, fmt: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return fmt.format(value)


def _num(value: float) -> str:
    """Coordinates rounded so the SVG stays small and deterministic."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _safe_href(url: object) -> str | None:
    """Return the URL unless it uses a scheme (``javascript:`` …) a chart must never link to."""
    if url is None:
        return None
    text = str(url).strip()
    # Browsers ignore control characters and spaces inside a scheme ("java\tscript:").
    match = _URL_SCHEME.match(re.sub(r"[\x00-\x20]", "", text))
    if match and match.group(1).lower() not in _SAFE_SCHEMES:
        return None
    return text or None


# --------------------------------------------------------------------------- SVG helpers


def _text(x: float, y: float, content: str, *, cls: str, size: float = 12,
          anchor: str = "start", fill: str = _TEXT, extra: str = "") -> str:
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" class="{cls}" font-size="{_num(size)}" '
        f'text-anchor="{anchor}" fill="{fill}"{extra}>{_esc(content)}</text>'
    )


def _link(body: str, url: str | None, label: str) -> str:
    """Wrap ``body`` in an SVG link (both ``href`` and legacy ``xlink:href`` for old browsers)."""
    if url is None:
        return f"<g>{body}</g>"
    href = _esc(url)
    return (
        f'<a href="{href}" xlink:href="{href}" class="hl-link" aria-label="{_esc(label)}">'
        f"{body}</a>"
    )


def _svg(width: float, height: float, title: str, body: str, *, kind: str,
         desc: str | None = None) -> str:
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'class="hl-chart hl-{kind}" role="img" aria-label="{_esc(title)}" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="100%" '
        f'font-family="{FONT_FAMILY}" font-size="12">'
        f"<title>{_esc(title)}</title>"
    )
    if desc:
        head += f"<desc>{_esc(desc)}</desc>"
    return head + body + "</svg>"


def _title(title: str, width: float) -> str:
    text = _truncate(title, width - 2 * _PAD, _TITLE_SIZE)
    return _text(_PAD, 24, text, cls="hl-title", size=_TITLE_SIZE, extra=' font-weight="bold"')


def _empty_chart(title: str, *, kind: str, width: float = 480, height: float = 140) -> str:
    """A chart frame that says plainly there is nothing to show."""
    body = _title(title, width) + _text(
        width / 2, height / 2 + 14, NO_DATA, cls="hl-empty", size=16, anchor="middle",
        fill=_MUTED,
    )
    return _svg(width, height, title, body, kind=kind, desc=NO_DATA)


def _summary(pairs: Sequence[tuple[str, str]], limit: int = 50) -> str:
    """Text alternative listing the figures, for screen readers."""
    text = "；".join(f"{k}：{v}" for k, v in pairs[:limit])
    return text + ("；…" if len(pairs) > limit else "")


def _clean_value(value: float | None) -> float | None:
    """The value as a finite float, or None for anything that can't be drawn."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round axis ticks (1, 2 or 5 × 10ⁿ steps) covering ``lo``..``hi``."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    count = math.ceil((hi - start) / step - 1e-9)
    return [round(start + i * step, 10) for i in range(count + 1)]


# --------------------------------------------------------------------------- bar chart


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: str = "{:.0f}",
    horizontal: bool = True,
    href: Callable[[str], str] | None = None,
) -> str:
    """Bar chart of labelled values; with ``href`` each bar links to the list of its cases.

    Negative or missing values draw no bar but still show their figure.
    """
    rows = [(str(label), _clean_value(value)) for label, value in items]
    if not rows:
        return _empty_chart(title, kind="bar")
    texts = [_fmt(v, value_format) for _, v in rows]
    top = max((v for _, v in rows if v is not None), default=0.0)
    lengths = [max(v or 0.0, 0.0) / top if top > 0 else 0.0 for _, v in rows]
    links = [_safe_href(href(label)) if href else None for label, _ in rows]
    desc = _summary([(label, t) for (label, _), t in zip(rows, texts, strict=True)])
    draw = _bars_horizontal if horizontal else _bars_vertical
    width, height, body = draw([r[0] for r in rows], texts, lengths, links)
    return _svg(width, height, title, _title(title, width) + body, kind="bar", desc=desc)


def _bar(x: float, y: float, w: float, h: float) -> str:
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" '
        f'class="hl-bar" fill="{PALETTE[0]}" rx="2"/>'
    )


def _bars_horizontal(labels: list[str], texts: list[str], lengths: list[float],
                     links: list[str | None]) -> tuple[float, float, str]:
    width, top, row_h, bar_h, size = 640.0, 40.0, 26.0, 18.0, 12.0
    label_w = min(max(text_width(s, size) for s in labels), 200.0) + 8
    value_w = max(text_width(s, size) for s in texts) + 8
    area = width - 2 * _PAD - label_w - value_w
    parts = []
    for i, (label, text, frac, url) in enumerate(zip(labels, texts, lengths, links, strict=True)):
        y = top + i * row_h
        bar_x = _PAD + label_w
        bar_w = frac * area
        body = (
            f"<title>{_esc(label)}：{_esc(text)}</title>"
            + _text(bar_x - 8, y + bar_h - 5, _truncate(label, label_w - 8, size),
                    cls="hl-label", anchor="end")
            + f'<rect x="{_num(bar_x)}" y="{_num(y)}" width="{_num(area)}" '
            f'height="{_num(bar_h)}" class="hl-bar-track" fill="#000" fill-opacity="0"/>'
            + _bar(bar_x, y, bar_w, bar_h)
            + _text(bar_x + bar_w + 4, y + bar_h - 5, text, cls="hl-value")
        )
        parts.append(_link(body, url, f"{label}：{text}"))
    return width, top + len(labels) * row_h + _PAD - (row_h - bar_h), "".join(parts)


_SLANT_DEGREES = 40
_SLANT_LABEL_MAX = 110.0
_COS_SLANT = math.cos(math.radians(_SLANT_DEGREES))
_SIN_SLANT = math.sin(math.radians(_SLANT_DEGREES))


def _bars_vertical(labels: list[str], texts: list[str], lengths: list[float],
                   links: list[str | None]) -> tuple[float, float, str]:
    width, top, plot_h, size = 640.0, 48.0, 200.0, 12.0
    widest = max(text_width(s, size) for s in labels)
    rotate = widest > (width - 2 * _PAD) / len(labels) - 4
    # Slanted labels hang left of their bar: leave room for the first one.
    left = _PAD + (min(widest, _SLANT_LABEL_MAX) * _COS_SLANT if rotate else 0.0)
    col_w = (width - _PAD - left) / len(labels)
    left = max(_PAD, left - col_w / 2)
    col_w = (width - _PAD - left) / len(labels)
    label_space = min(widest, _SLANT_LABEL_MAX) * _SIN_SLANT + 24 if rotate else 22.0
    base = top + plot_h
    parts = [
        f'<line x1="{_num(left)}" y1="{_num(base)}" x2="{_num(width - _PAD)}" '
        f'y2="{_num(base)}" class="hl-axis" stroke="{_MUTED}"/>'
    ]
    for i, (label, text, frac, url) in enumerate(zip(labels, texts, lengths, links, strict=True)):
        cx = left + (i + 0.5) * col_w
        bar_w, bar_h = col_w * 0.7, frac * plot_h
        parts.append(_link(
            f"<title>{_esc(label)}：{_esc(text)}</title>"
            + _bar(cx - bar_w / 2, base - bar_h, bar_w, bar_h)
            + _text(cx, base - bar_h - 4, text, cls="hl-value", size=11, anchor="middle")
            + _vertical_label(label, cx, base, col_w, rotate, size),
            url, f"{label}：{text}",
        ))
    return width, base + label_space, "".join(parts)


def _vertical_label(label: str, cx: float, base: float, col_w: float, rotate: bool,
                    size: float) -> str:
    if not rotate:
        return _text(cx, base + 16, label, cls="hl-label", anchor="middle")
    y = base + 12
    return _text(cx, y, _truncate(label, _SLANT_LABEL_MAX, size), cls="hl-label", anchor="end",
                 extra=f' transform="rotate(-{_SLANT_DEGREES} {_num(cx)} {_num(y)})"')


# --------------------------------------------------------------------------- line chart


def line_chart(
    series: Mapping[str, Sequence[tuple[date, float]]],
    *,
    title: str,
    y_format: str = "{:.0f}",
) -> str:
    """Line chart of one or more dated series (daily or weekly volume) with date ticks and legend.

    Points whose value is missing or not finite are skipped.
    """
    clean = {str(name): _clean_series(points) for name, points in series.items()}
    if not any(clean.values()):
        return _empty_chart(title, kind="line")
    width, size = 720.0, 11.0
    legend, legend_h = _legend(list(clean), width, top=38)
    values = [v for pts in clean.values() for _, v in pts]
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values))
    tick_texts = [y_format.format(t) for t in ticks]
    left = _PAD + max(text_width(t, size) for t in tick_texts) + 6
    days = sorted({d.toordinal() for pts in clean.values() for d, _ in pts})
    plot_top = 38 + legend_h + 10
    frame = _Frame(left, plot_top, width - _PAD - 8, plot_top + 200,
                   (ticks[0], ticks[-1]), (days[0], days[-1]))
    body = (
        _title(title, width) + legend + _y_grid(frame, ticks, tick_texts, size)
        + _x_ticks(frame, days, size)
        + "".join(_series_path(i, name, pts, frame, y_format)
                  for i, (name, pts) in enumerate(clean.items()))
    )
    desc = _summary([(name, f"{len(pts)}个点") for name, pts in clean.items()])
    return _svg(width, frame.bottom + 28, title, body, kind="line", desc=desc)


class _Frame:
    """Plot rectangle and the data ranges mapped onto it."""

    def __init__(self, left: float, top: float, right: float, bottom: float,
                 y_range: tuple[float, float], x_range: tuple[int, int]) -> None:
        self.left, self.top, self.right, self.bottom = left, top, right, bottom
        self.y0, self.y1 = y_range
        self.x0, self.x1 = x_range

    def x(self, day: int) -> float:
        if self.x1 == self.x0:
            return (self.left + self.right) / 2
        return self.left + (day - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return self.bottom - (value - self.y0) / span * (self.bottom - self.top)


def _clean_series(points: Sequence[tuple[date, float]]) -> list[tuple[date, float]]:
    kept = [(d, v) for d, raw in points if (v := _clean_value(raw)) is not None]
    return sorted(kept, key=lambda p: p[0].toordinal())


def _legend(names: list[str], width: float, *, top: float) -> tuple[str, float]:
    """Legend swatches laid out in rows that wrap at the chart width."""
    parts, x, y, size = [], float(_PAD), top, 12.0
    for i, name in enumerate(names):
        label = _truncate(name, 160, size)
        item_w = 18 + text_width(label, size) + 16
        if x + item_w > width - _PAD and x > _PAD:
            x, y = float(_PAD), y + 18
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<g class="hl-legend-item"><rect x="{_num(x)}" y="{_num(y)}" width="12" '
            f'height="12" rx="2" class="hl-series-{i}" fill="{colour}"/>'
            + _text(x + 18, y + 11, label, cls="hl-legend", size=size) + "</g>"
        )
        x += item_w
    return "".join(parts), y - top + 18


def _y_grid(frame: _Frame, ticks: list[float], texts: list[str], size: float) -> str:
    parts = []
    for tick, text in zip(ticks, texts, strict=True):
        y = frame.y(tick)
        parts.append(
            f'<line x1="{_num(frame.left)}" y1="{_num(y)}" x2="{_num(frame.right)}" '
            f'y2="{_num(y)}" class="hl-grid" stroke="{_GRID}"/>'
            + _text(frame.left - 6, y + 4, text, cls="hl-tick", size=size, anchor="end",
                    fill=_MUTED)
        )
    return "".join(parts)


def _x_ticks(frame: _Frame, days: list[int], size: float, most: int = 8) -> str:
    """Date labels on up to ``most`` of the data's own dates, evenly spread."""
    count = min(len(days), most)
    picks = sorted({round(i * (len(days) - 1) / max(count - 1, 1)) for i in range(count)})
    dates = [date.fromordinal(days[i]) for i in picks]
    one_year = len({d.year for d in dates}) == 1
    parts = []
    for d in dates:
        x = frame.x(d.toordinal())
        label = d.strftime("%m-%d") if one_year else d.isoformat()
        parts.append(
            f'<line x1="{_num(x)}" y1="{_num(frame.bottom)}" x2="{_num(x)}" '
            f'y2="{_num(frame.bottom + 4)}" class="hl-axis" stroke="{_MUTED}"/>'
            + _text(x, frame.bottom + 17, label, cls="hl-tick", size=size, anchor="middle",
                    fill=_MUTED)
        )
    axis = (
        f'<line x1="{_num(frame.left)}" y1="{_num(frame.bottom)}" x2="{_num(frame.right)}" '
        f'y2="{_num(frame.bottom)}" class="hl-axis" stroke="{_MUTED}"/>'
    )
    return axis + "".join(parts)


def _series_path(index: int, name: str, points: list[tuple[date, float]], frame: _Frame,
                 y_format: str) -> str:
    if not points:
        return ""
    colour = PALETTE[index % len(PALETTE)]
    coords = [(frame.x(d.toordinal()), frame.y(v)) for d, v in points]
    path = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
    parts = [
        f'<g class="hl-series hl-series-{index}"><polyline points="{path}" fill="none" '
        f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
    ]
    # Markers (with hover tooltips) only while they stay distinguishable.
    if len(points) <= 62:
        for (d, v), (x, y) in zip(points, coords, strict=True):
            parts.append(
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="2.5" fill="{colour}">'
                f"<title>{_esc(name)} {d.isoformat()}：{_esc(y_format.format(v))}</title>"
                "</circle>"
            )
    return "".join(parts) + "</g>"


# --------------------------------------------------------------------------- gauge


def rate_gauge(
    value: float | None,
    *,
    title: str,
    target: float | None = None,
    value_format: str = "{:.1%}",
) -> str:
    """Small horizontal gauge for a 0–1 rate, with an optional target marker.

    ``None`` (or NaN) shows "—" and 无数据; values outside 0–1 are shown as given but drawn
    clamped.
    """
    width, height = 320.0, 66.0
    track_x, track_y, track_w, track_h = float(_PAD), 34.0, width - 2 * _PAD, 14.0
    rate = _clean_value(value)
    goal = _clean_value(target)
    text = _fmt(rate, value_format)
    body = [
        _text(_PAD, 20, _truncate(title, width - 110, 13), cls="hl-title", size=13,
              extra=' font-weight="bold"'),
        _text(width - _PAD, 22, text, cls="hl-gauge-value", size=18, anchor="end",
              extra=' font-weight="bold"'),
        f'<rect x="{_num(track_x)}" y="{_num(track_y)}" width="{_num(track_w)}" '
        f'height="{_num(track_h)}" rx="3" class="hl-gauge-track" fill="#ececec"/>',
    ]
    if rate is None:
        body.append(_text(width / 2, track_y + 11, "无数据", cls="hl-empty", size=11,
                          anchor="middle", fill=_MUTED))
    else:
        state, colour = _gauge_state(rate, goal)
        body.append(
            f'<rect x="{_num(track_x)}" y="{_num(track_y)}" '
            f'width="{_num(_clamp01(rate) * track_w)}" height="{_num(track_h)}" rx="3" '
            f'class="hl-gauge-fill hl-gauge-{state}" fill="{colour}"/>'
        )
    if goal is not None:
        body.append(_target_marker(goal, track_x, track_y, track_w, track_h, value_format))
    desc = f"{title}：{text}" + (f"，目标 {_fmt(goal, value_format)}" if goal is not None else "")
    return _svg(width, height, title, "".join(body), kind="gauge", desc=desc)


def _clamp01(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _gauge_state(rate: float, goal: float | None) -> tuple[str, str]:
    if goal is None:
        return "neutral", PALETTE[0]
    return ("ok", "#2e8540") if rate >= goal else ("below", "#d55e00")


def _target_marker(goal: float, x: float, y: float, w: float, h: float, fmt: str) -> str:
    tx = x + _clamp01(goal) * w
    anchor = "end" if goal > 0.8 else ("start" if goal < 0.2 else "middle")
    return (
        f'<line x1="{_num(tx)}" y1="{_num(y - 4)}" x2="{_num(tx)}" y2="{_num(y + h + 4)}" '
        f'class="hl-gauge-target" stroke="{_TEXT}" stroke-width="2"/>'
        + _text(tx, y + h + 14, f"目标 {_fmt(goal, fmt)}", cls="hl-tick", size=10,
                anchor=anchor, fill=_MUTED)
    )


# --------------------------------------------------------------------------- district map


def district_map(
    values: Mapping[str, float],
    *,
    title: str,
    href: Callable[[str], str] | None = None,
    layout: Mapping[str, tuple[float, float]] = CHENGDU_CENTRAL_LAYOUT,
    value_format: str = "{:.0f}",
) -> str:
    """Schematic tile map of districts shaded by value; districts without a value are grey.

    ``layout`` maps district name to its (column, row) tile; values for districts not in the
    layout (e.g. 高新区) are listed under the map rather than dropped silently.
    """
    if not layout:
        return _empty_chart(title, kind="map")
    clean = {str(k): v for k, raw in values.items() if (v := _clean_value(raw)) is not None}
    placed = [clean[name] for name in layout if name in clean]
    lo, hi = min([0.0, *placed]), max([0.0, *placed])
    tile_w, tile_h, gap, top = 128.0, 84.0, 6.0, 44.0
    cols = [c for c, _ in layout.values()]
    rows = [r for _, r in layout.values()]
    map_w = (max(cols) - min(cols) + 1) * (tile_w + gap) - gap
    map_h = (max(rows) - min(rows) + 1) * (tile_h + gap) - gap
    width = max(map_w + 2 * _PAD, 360.0)
    left = (width - map_w) / 2
    tiles = []
    for name, (col, row) in layout.items():
        x = left + (col - min(cols)) * (tile_w + gap)
        y = top + (row - min(rows)) * (tile_h + gap)
        value = clean.get(name)
        url = _safe_href(href(name)) if href and value is not None else None
        tiles.append(_tile(name, value, x, y, tile_w, tile_h, _scale(value, lo, hi),
                           value_format, url))
    y = top + map_h + 16
    notes = _map_notes(clean, layout, value_format, width, y)
    legend_y = y + (20 if notes else 0)
    if placed:
        legend = _map_legend(lo, hi, value_format, legend_y)
    else:
        # A 0–0 colour scale means nothing; say plainly that there is no data instead.
        legend = _text(_PAD, legend_y + 12, NO_DATA, cls="hl-empty", size=14, fill=_MUTED)
    body = _title(title, width) + "".join(tiles) + notes + legend
    desc = _summary([(name, _fmt(clean.get(name), value_format)) for name in layout])
    return _svg(width, y + (20 if notes else 0) + 26, title, body, kind="map", desc=desc)


def _scale(value: float | None, lo: float, hi: float) -> float | None:
    if value is None:
        return None
    return (value - lo) / (hi - lo) if hi > lo else 0.0


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def scale_colour(t: float) -> str:
    """Colour for a position 0–1 on the map's sequential scale."""
    t = _clamp01(t) * (len(SCALE_STOPS) - 1)
    i = min(int(t), len(SCALE_STOPS) - 2)
    a, b = _hex_rgb(SCALE_STOPS[i]), _hex_rgb(SCALE_STOPS[i + 1])
    frac = t - i
    return "#" + "".join(f"{round(x + (y - x) * frac):02x}" for x, y in zip(a, b, strict=True))


def _tile(name: str, value: float | None, x: float, y: float, w: float, h: float,
          t: float | None, fmt: str, url: str | None) -> str:
    fill = NO_DATA_FILL if t is None else scale_colour(t)
    ink = "#ffffff" if t is not None and t > 0.5 else "#1a1a1a"
    cls = "hl-tile hl-tile-nodata" if t is None else "hl-tile"
    text = "无数据" if value is None else _fmt(value, fmt)
    body = (
        f"<title>{_esc(name)}：{_esc(text)}</title>"
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" rx="6" '
        f'class="{cls}" fill="{fill}" stroke="#ffffff" stroke-width="1"/>'
        + _text(x + w / 2, y + h / 2 - 6, _truncate(name, w - 12, 14), cls="hl-tile-name",
                size=14, anchor="middle", fill=ink)
        + _text(x + w / 2, y + h / 2 + 18, _truncate(text, w - 12, 18), cls="hl-tile-value",
                size=18 if value is not None else 12, anchor="middle", fill=ink,
                extra=' font-weight="bold"' if value is not None else "")
    )
    return _link(body, url, f"{name}：{text}")


def _map_notes(clean: Mapping[str, float], layout: Mapping[str, tuple[float, float]],
               fmt: str, width: float, y: float) -> str:
    """One line naming the districts that have figures but no tile."""
    extra = [f"{name} {_fmt(v, fmt)}" for name, v in clean.items() if name not in layout]
    if not extra:
        return ""
    text = _truncate("图外：" + "、".join(extra), width - 2 * _PAD, 11)
    return _text(_PAD, y, text, cls="hl-note", size=11, fill=_MUTED)


def _map_legend(lo: float, hi: float, fmt: str, y: float) -> str:
    """Five swatches of the colour scale with its end values, plus the grey 无数据 swatch."""
    parts = [_text(_PAD, y + 10, _fmt(lo, fmt), cls="hl-tick", size=11, fill=_MUTED)]
    x = _PAD + text_width(_fmt(lo, fmt), 11) + 4
    for i in range(5):
        parts.append(f'<rect x="{_num(x + i * 18)}" y="{_num(y)}" width="18" height="12" '
                     f'fill="{scale_colour(i / 4)}" class="hl-legend-swatch"/>')
    x += 5 * 18 + 4
    parts.append(_text(x, y + 10, _fmt(hi, fmt), cls="hl-tick", size=11, fill=_MUTED))
    x += text_width(_fmt(hi, fmt), 11) + 16
    parts.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="18" height="12" '
                 f'fill="{NO_DATA_FILL}" class="hl-tile-nodata"/>')
    parts.append(_text(x + 22, y + 10, "无数据", cls="hl-tick", size=11, fill=_MUTED))
    return "".join(parts)
