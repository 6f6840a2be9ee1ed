"""The risk page's figures as one JSON-ready snapshot: the volume spikes of each window and
the 7-day forecast with its warnings. A scheduled job makes it and caches it; the page reads
it (and says how old it is) instead of running the grouped queries on every view."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from hotline.models import CaseStatus, utcnow
from hotline.reporting.forecast import DayForecast
from hotline.services import forecast, hotspots


@dataclass(frozen=True)
class CaseRef:
    """What the page shows of a case behind a spike."""

    number: str
    title: str
    status: CaseStatus


def make(now: datetime | None = None) -> dict[str, Any]:
    """Compute the snapshot now."""
    now = now or utcnow()
    spikes = {}
    for window in hotspots.WINDOWS:
        found = hotspots.spikes(window, now=now)
        spikes[window] = {dim: [_spike_dict(s) for s in items] for dim, items in found.items()}
    return {"computed_at": now.isoformat(), "spikes": spikes,
            "outlook": _outlook_dict(forecast.outlook(now=now))}


def _spike_dict(spike: hotspots.Spike) -> dict[str, Any]:
    out = asdict(spike) | {"since": spike.since.isoformat(), "until": spike.until.isoformat()}
    out["cases"] = [{"number": c.number, "title": c.title, "status": c.status.value}
                    for c in spike.cases]
    return out


def _day_dict(day: DayForecast) -> dict[str, Any]:
    return asdict(day) | {"day": day.day.isoformat()}


def _series_dict(s: forecast.Series) -> dict[str, Any]:
    out = asdict(s)
    out["today"] = _day_dict(s.today)
    out["days"] = [_day_dict(d) for d in s.days]
    return out


def _outlook_dict(outlook: forecast.Outlook) -> dict[str, Any]:
    return {"today": outlook.today.isoformat(), "local_hour": outlook.local_hour,
            "series": {k: [_series_dict(s) for s in v] for k, v in outlook.series.items()},
            "warnings": [_series_dict(s) for s in outlook.warnings]}


def _day(data: dict[str, Any]) -> DayForecast:
    return DayForecast(**(data | {"day": date.fromisoformat(data["day"])}))


def _series(data: dict[str, Any]) -> forecast.Series:
    return forecast.Series(**(data | {"today": _day(data["today"]),
                                      "days": [_day(d) for d in data["days"]]}))


def spikes_of(snapshot: dict[str, Any]) -> dict[str, dict[str, list[hotspots.Spike]]]:
    """The snapshot's spikes per window and dimension, as the live ones are."""
    out: dict[str, dict[str, list[hotspots.Spike]]] = {}
    for window, by_dimension in snapshot["spikes"].items():
        out[window] = {}
        for dimension, items in by_dimension.items():
            out[window][dimension] = [hotspots.Spike(**(item | {
                "since": datetime.fromisoformat(item["since"]),
                "until": datetime.fromisoformat(item["until"]),
                "cases": [CaseRef(c["number"], c["title"], CaseStatus(c["status"]))
                          for c in item["cases"]]})) for item in items]
    return out


def outlook_of(snapshot: dict[str, Any]) -> forecast.Outlook:
    """The snapshot's forecast, as the live one is."""
    data = snapshot["outlook"]
    return forecast.Outlook(
        date.fromisoformat(data["today"]), data["local_hour"],
        {k: [_series(s) for s in v] for k, v in data["series"].items()},
        [_series(s) for s in data["warnings"]])


def computed_at(snapshot: dict[str, Any]) -> datetime:
    """When the snapshot was made."""
    return datetime.fromisoformat(snapshot["computed_at"])
