"""A time limit such as ``30m``, ``4h`` or ``3d``: a plain value on the ground floor, so the
settings (:mod:`hotline.config`) can type durations once and the work calendar
(:mod:`hotline.services.workcalendar`) can interpret them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["m", "h", "d"]

_DURATION_RE = re.compile(r"([0-9]+)([mhd])")
# Bounds keep a typo ("3000000d") from turning a deadline computation into a long loop.
_MAX_AMOUNT: dict[str, int] = {"m": 3660 * 24 * 60, "h": 3660 * 24, "d": 3660}


@dataclass(frozen=True)
class Duration:
    """A time limit such as ``30m``, ``4h`` or ``3d``; its meaning depends on the calendar used."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.unit not in _MAX_AMOUNT:
            raise ValueError(f"invalid duration unit {self.unit!r}: expected 'm', 'h' or 'd'")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise ValueError(f"invalid duration amount {self.amount!r}: expected an int")
        if not 1 <= self.amount <= _MAX_AMOUNT[self.unit]:
            raise ValueError(
                f"invalid duration amount {self.amount}{self.unit}: "
                f"must be between 1 and {_MAX_AMOUNT[self.unit]}"
            )

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``"30m"``, ``"4h"`` or ``"3d"`` (as stored in settings and category rules)."""
        match = _DURATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"invalid duration {text!r}: expected a positive whole number followed by "
                "m, h or d, e.g. '30m', '4h' or '3d'"
            )
        amount = int(match.group(1))
        unit: Unit = match.group(2)  # type: ignore[assignment]
        if amount == 0:
            raise ValueError(f"invalid duration {text!r}: must be greater than zero")
        return cls(amount, unit)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"
