"""The early-warning page's rows: each flagged spike with its label and the ``/cases``
filters that list the cases behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.models import Case
from hotline.services.hotspots import Spike
from hotline.services.periods import local_date


@dataclass
class SpikeRow:
    """A flagged category or district as the page shows it."""

    dimension: str
    key: str
    label: str
    current: int
    baseline: float
    ratio: float
    score: float
    since: datetime
    until: datetime
    cases: list[Case]
    link: dict


def spike_row(spike: Spike) -> SpikeRow:
    """One spike with its label and the case-list filters of its window."""
    link = {spike.dimension: spike.code, "from": local_date(spike.since).isoformat(),
            "to": local_date(spike.until).isoformat()}
    return SpikeRow(spike.dimension, spike.key, spike.name, spike.current, spike.baseline,
                    spike.ratio, spike.score, spike.since, spike.until, spike.cases, link)


def spike_rows(found: dict[str, list[Spike]]) -> dict[str, list[SpikeRow]]:
    """The rows of every dimension of :func:`hotline.services.hotspots.spikes`."""
    return {dimension: [spike_row(s) for s in spikes] for dimension, spikes in found.items()}
