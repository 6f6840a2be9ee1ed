"""A hand-made week of cases covering every edge of the oversight figures.

Ten cases registered Mon 2026-10-19 to Fri 2026-10-23 through the services on a controlled
clock; deadlines and follow-up fire through ``escalation.process_due``. The figures are
judged at Fri 2026-10-30 12:00 (``NOW``). Each case's story and what it counts as:

A  complaint, signed and replied in time, rated satisfied                 -> on time, resolved
B  sign-for deadline passed (overdue fired) before it was accepted, basically satisfied
C  handling overdue fired, then replied; follow-up expired (not rated)     -> late, not rated
D  extension approved before the deadline, replied after the old deadline -> on time, replied
E  rated dissatisfied, reopened, replied again, rated satisfied           -> dissatisfied, reopened
F  dispatched to HOUSING, returned, re-dispatched to URBAN, accepted      -> returned, handle late
G  a duplicate merged into F                                              -> merged
H  resolved directly by the agent                                         -> direct
I  dispatched, never accepted                                             -> sign and handle late
J  registered only
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.extensions import db
from hotline.models import Case, Satisfaction, User
from hotline.services import cases, escalation, registration, rollup, routing
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLACES = {"书院街": ("锦江区", "书院街街道"), "玉林": ("武侯区", "玉林街道"),
          "春熙路": ("锦江区", "春熙路街道")}


def local(text: str) -> datetime:
    """A Shanghai wall-clock time like '2026-10-19 10:00' as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


NOW = local("2026-10-30 12:00")


def refresh(**kwargs) -> dict:
    """Rebuild the rollup as the job does: in a unit of work of its own."""
    with unit_of_work():
        return rollup.refresh(**kwargs)


def actor(username: str) -> Actor:
    return Actor.from_user(db.session.query(User).filter_by(username=username).one())


@pytest.fixture(autouse=True)
def _gazetteer(monkeypatch):
    """Districts from a tiny gazetteer, so the tests don't depend on the classifier package."""
    def locate(address, text):
        for needle, (district, street) in PLACES.items():
            if needle in (address or "") + (text or ""):
                return routing.Place(district, street)
        return None

    monkeypatch.setattr(routing, "locate", locate)


@dataclass
class Week:
    cases: dict[str, Case]

    def numbers(self, *names: str) -> set[str]:
        return {self.cases[n].number for n in names}


def register(name: str, when: str, *, department: str | None = "URBAN",
             category: str | None = "street_vending", kind: str = "complaint",
             address: str = "锦江区书院街", channel: str = "phone") -> Case:
    new = registration.NewCase(content=f"{name}：路口占道经营，影响通行", department=department,
                        category=category, request_type=kind, address=address,
                        channel=channel, citizen_phone="13800001111")
    with unit_of_work():
        return registration.register_case(actor("agent"), new, now=local(when))


def act(case: Case, who: str, action: str, when: str, **params) -> None:
    with unit_of_work():
        cases.perform(actor(who), case.number, action, params, now=local(when))


def rate(case: Case, value: Satisfaction, when: str) -> None:
    db.session.refresh(case)
    with unit_of_work():
        cases.rate(case, value, None, now=local(when))


def due(case: Case, when: datetime) -> None:
    with unit_of_work():
        escalation.process_due(case.id, when)


def build_week() -> Week:
    c: dict[str, Case] = {}
    c["A"] = a = register("A", "2026-10-19 10:00", channel="wechat")
    act(a, "urban", "accept", "2026-10-19 11:00")
    act(a, "urban", "reply", "2026-10-20 10:00", content="已清理")
    rate(a, Satisfaction.SATISFIED, "2026-10-20 12:00")

    c["B"] = b = register("B", "2026-10-19 10:00")
    due(b, local("2026-10-20 10:30"))  # sign-for deadline passed
    act(b, "urban", "accept", "2026-10-20 11:00")
    act(b, "urban", "reply", "2026-10-21 10:00", content="已清理")
    rate(b, Satisfaction.BASICALLY_SATISFIED, "2026-10-21 12:00")

    c["C"] = cc = register("C", "2026-10-19 10:00", address="武侯区玉林北路")
    act(cc, "urban", "accept", "2026-10-19 10:30")
    due(cc, local("2026-10-26 10:30"))  # handling deadline passed
    act(cc, "urban", "reply", "2026-10-26 12:00", content="已处理")
    due(cc, local("2026-10-29 12:30"))  # follow-up window ran out

    c["D"] = d = register("D", "2026-10-19 10:00", kind="complaint")
    act(d, "urban", "accept", "2026-10-19 10:30")
    act(d, "urban", "extend", "2026-10-22 10:00", days=3, reason="需协调")
    act(d, "supervisor", "approve_extension", "2026-10-22 11:00")
    act(d, "urban", "reply", "2026-10-28 10:00", content="已处理")

    c["E"] = e = register("E", "2026-10-20 10:00", channel="wechat")
    act(e, "urban", "accept", "2026-10-20 10:30")
    act(e, "urban", "reply", "2026-10-21 10:00", content="已处理")
    rate(e, Satisfaction.DISSATISFIED, "2026-10-21 12:00")  # reopens
    act(e, "urban", "reply", "2026-10-23 10:00", content="再次处理")
    rate(e, Satisfaction.SATISFIED, "2026-10-23 12:00")

    c["F"] = f = register("F", "2026-10-20 10:00", department="HOUSING",
                          category="property_mgmt", address="锦江区春熙路")
    act(f, "housing", "return", "2026-10-20 11:00", reason="非本单位职责")
    act(f, "agent", "dispatch", "2026-10-20 14:00", department="URBAN")
    act(f, "urban", "accept", "2026-10-20 15:00")

    c["G"] = g = register("G", "2026-10-21 09:00", department=None)
    act(g, "agent", "merge", "2026-10-21 09:30", into=f.number)

    c["H"] = h = register("H", "2026-10-22 09:00", department=None, kind="consultation",
                          category=None, address="武侯区玉林")
    act(h, "agent", "resolve", "2026-10-22 09:10", content="已解答")

    c["I"] = register("I", "2026-10-22 10:00", channel="mailbox")
    c["J"] = register("J", "2026-10-23 10:00", department=None, category=None, address="")
    for case in c.values():
        due(case, NOW)
    for case in c.values():
        db.session.refresh(case)
    return Week(c)


@pytest.fixture
def week(world) -> Week:
    return build_week()
