"""Finding the district and street of a request from its address field or its text.

The gazetteer is a CSV the centre maintains (columns district, street, keywords), where keywords
are '|'-separated roads, landmarks and communities inside that street. Matching is plain
substring search: callers write addresses every which way, and a list of known names is both
predictable and easy for the centre to extend.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import ClassifierError
from classifier.normalize import to_halfwidth, to_simplified


class GazetteerError(ClassifierError, ValueError):
    """The gazetteer CSV is unreadable or malformed; the message names the row."""


@dataclass(frozen=True)
class Location:
    """Where a request is: district, street (None if only the district is known), and why."""

    district: str
    street: str | None
    matched: str
    source: str  # "address" or "text"


@dataclass(frozen=True)
class _Place:
    district: str
    street: str | None


class Gazetteer:
    """Keyword → place index built from gazetteer rows; use ``Gazetteer.load`` to read a CSV."""

    def __init__(self, rows: list[tuple[str, str | None, list[str]]]):
        self._index: dict[str, _Place | None] = {}
        for district, street, keywords in rows:
            names = [district] if street is None else [street]
            for keyword in names + keywords:
                self._add(_prepare(keyword), _Place(district, street))
        # Longest first so that the first hit found is the most specific one; at equal length a
        # street beats a bare district.
        self._keywords = sorted(
            (k for k, p in self._index.items() if p is not None),
            key=lambda k: (-len(k), self._index[k].street is None, k),
        )

    def _add(self, keyword: str, place: _Place) -> None:
        if not keyword:
            return
        if keyword not in self._index:
            self._index[keyword] = place
            return
        known = self._index[keyword]
        if known is None or known == place:
            return
        # A keyword shared by two streets of one district still tells the district; shared by
        # two districts it tells nothing and is dropped.
        same_district = known.district == place.district
        self._index[keyword] = _Place(known.district, None) if same_district else None

    @classmethod
    def load(cls, path: str | os.PathLike) -> Gazetteer:
        """Read a UTF-8 gazetteer CSV with columns district, street, keywords."""
        path = Path(path)
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                records = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise GazetteerError(f"无法读取地名库 / cannot read gazetteer {path}: {exc}") from None
        return cls([_row(r, i + 2, path) for i, r in enumerate(records)])

    @property
    def districts(self) -> list[str]:
        """Every district the gazetteer knows, sorted."""
        return sorted({p.district for p in self._index.values() if p is not None})

    def locate(self, address: str | None = None, text: str | None = None) -> Location | None:
        """Return the location named in ``address``, else in ``text``, else None.

        The address field wins over the text because the agent typed it on purpose; when the
        address only gives a district, a street of that same district found in the text refines it.
        """
        from_address = self._find(address, "address")
        from_text = self._find(text, "text")
        if from_address is None:
            return from_text
        refines = (
            from_address.street is None
            and from_text is not None
            and from_text.street is not None
            and from_text.district == from_address.district
        )
        return from_text if refines else from_address

    def mentions(self, text: str | None) -> list[Location]:
        """Every place named in ``text``, most specific first, each keyword's place once
        (a shorter keyword inside a longer one already found is skipped)."""
        if not text:
            return []
        value = _prepare(text)
        found: list[Location] = []
        taken: list[str] = []
        for keyword in self._keywords:
            if keyword in value and not any(keyword in longer for longer in taken):
                taken.append(keyword)
                place = self._index[keyword]
                found.append(Location(place.district, place.street, keyword, "text"))
        return found

    def _find(self, value: str | None, source: str) -> Location | None:
        if not value:
            return None
        value = _prepare(value)
        for keyword in self._keywords:
            if keyword in value:
                place = self._index[keyword]
                return Location(place.district, place.street, keyword, source)
        return None


def _prepare(value: str) -> str:
    return to_simplified(to_halfwidth(value)).strip().lower()


def _row(record: dict, line: int, path: Path) -> tuple[str, str | None, list[str]]:
    missing = [c for c in ("district", "street", "keywords") if c not in record]
    if missing:
        raise GazetteerError(
            f"地名库缺少列 {', '.join(missing)} / gazetteer {path} lacks column(s) "
            f"{', '.join(missing)}; found: {', '.join(record)}"
        )
    district = (record["district"] or "").strip()
    if not district:
        raise GazetteerError(f"地名库第 {line} 行没有区名 / gazetteer row {line} has no district")
    street = (record["street"] or "").strip() or None
    keywords = [k.strip() for k in (record["keywords"] or "").split("|") if k.strip()]
    return district, street, keywords
