"""Departments and categories named on the hot path come from a per-process cache that an
admin's change in the same process refreshes at once, and others within the TTL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.extensions import db
from hotline.models import Department, Role
from hotline.services import cases, directory
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case
from hotline.unit_of_work import unit_of_work

AGENT = Actor(label="话务员甲", role=Role.AGENT)


def register_for(department: str):
    return register_case(AGENT, NewCase(content="路灯不亮", department=department))


def test_a_department_deactivated_here_is_refused_at_once(world):
    assert register_for("HOUSING").department.code == "HOUSING"
    with unit_of_work():
        directory.update_department("HOUSING", name="市住房和城乡建设局", district=None,
                                    active=False)
    with pytest.raises(cases.InvalidInput) as refused:
        register_for("HOUSING")
    assert refused.value.field == "department"


@pytest.mark.committing  # another connection writes the change
def test_a_change_made_elsewhere_is_seen_once_the_cache_is_older_than_its_ttl(
        world, monkeypatch):
    assert directory.active_department("URBAN").name == "市城市管理委员会"
    with db.engine.begin() as elsewhere:  # another process's admin page
        elsewhere.execute(Department.__table__.update().where(Department.code == "URBAN")
                          .values(name="市城市管理局"))
    assert directory.active_department("URBAN").name == "市城市管理委员会"  # cached
    later = directory.clock.monotonic() + directory.REFERENCE_TTL_SECONDS + 1
    monkeypatch.setattr(directory.clock, "monotonic", lambda: later)
    assert directory.active_department("URBAN").name == "市城市管理局"


def test_loading_the_cache_leaves_the_callers_objects_in_its_session(world):
    directory.forget_reference_data()
    mine = db.session.scalars(select(Department).where(Department.code == "URBAN")).one()
    directory.active_category("street_vending")  # loads the cache
    assert mine in db.session
    assert directory.active_department("URBAN") is mine  # the session's own copy


def test_unknown_and_inactive_codes_are_none(world):
    assert directory.active_department("NOPE") is None
    with unit_of_work():
        directory.update_category("property_mgmt", name="物业管理", department="HOUSING",
                                  local_routing=False, active=False)
    assert directory.active_category("property_mgmt") is None
    assert directory.active_category("street_vending").default_department.code == "URBAN"
