"""Who takes part in a case and how (services.involvement and the case actions that use it):
a district passes its case on to a street and takes it back, with the clocks running from
the centre's dispatch; a case has one lead and any number of assisting departments; the
statistics count a co-handled case once, for its lead."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import Case, Role, utcnow
from hotline.services import cases, directory, involvement, periods, registration, stats
from hotline.services.actors import Actor
from tests.factories import add_streets

AGENT = Actor(label="话务员甲", role=Role.AGENT, user_id=None)


@pytest.fixture
def streets(world):
    return add_streets(world)


def _dept_actor(code: str) -> Actor:
    dept = directory.department_by_code(code)
    return Actor(label=dept.name, role=Role.DEPARTMENT, department_id=dept.id)


def _register(**fields) -> Case:
    return registration.register_case(AGENT, registration.NewCase(
        content="春熙路某小区消防通道被占用停车", **fields))


def test_a_district_passes_its_case_on_and_the_clocks_keep_running(streets):
    case = _register(department="JINJIANG")
    sign, handle, dispatched = case.sign_deadline, case.handle_deadline, case.dispatched_at
    later = utcnow() + timedelta(hours=3)
    cases.perform(_dept_actor("JINJIANG"), case.number, "dispatch",
                  {"department": "JINJIANG-CHUNXI", "note": "请春熙路街道核实"}, now=later)
    assert case.department.code == "JINJIANG-CHUNXI"
    assert case.via_department.code == "JINJIANG"
    assert case.status == "dispatched"
    assert (case.sign_deadline, case.handle_deadline, case.dispatched_at) == \
        (sign, handle, dispatched)
    event = cases.timeline(case, public_only=False)[-1]
    assert event.action == "dispatch" and event.data["by"] == "JINJIANG"
    assert event.data["department"] == "JINJIANG-CHUNXI" and event.note == "请春熙路街道核实"
    assert event.actor_label == "锦江区人民政府"


def test_only_to_its_own_streets_and_only_a_district(streets):
    case = _register(department="JINJIANG")
    with pytest.raises(InvalidInput) as refused:
        cases.perform(_dept_actor("JINJIANG"), case.number, "dispatch",
                      {"department": "URBAN"})
    assert refused.value.field == "department"
    other = _register(department="URBAN")
    with pytest.raises(Forbidden):  # URBAN has no streets
        cases.perform(_dept_actor("URBAN"), other.number, "dispatch",
                      {"department": "JINJIANG-CHUNXI"})
    assert "dispatch" not in cases.allowed_actions(_dept_actor("URBAN"), other)
    assert "dispatch" in cases.allowed_actions(_dept_actor("JINJIANG"), case)
    with pytest.raises(InvalidInput) as category:
        cases.perform(_dept_actor("JINJIANG"), case.number, "dispatch",
                      {"department": "JINJIANG-CHUNXI", "category": "property_mgmt"})
    assert category.value.field == "category"


def test_the_district_sees_acts_only_by_recall_and_note_and_takes_it_back(streets):
    case = _register(department="JINJIANG")
    district, street = _dept_actor("JINJIANG"), _dept_actor("JINJIANG-CHUNXI")
    cases.perform(district, case.number, "dispatch", {"department": "JINJIANG-CHUNXI"})
    assert cases.can_see(district, case) and cases.can_see(street, case)
    assert involvement.part(district.department_id, case) == "district"
    assert sorted(cases.allowed_actions(district, case)) == ["note", "recall"]
    with pytest.raises(Forbidden):
        cases.perform(district, case.number, "accept")
    cases.perform(street, case.number, "accept")
    with pytest.raises(NotFound):  # another street does not even see it
        cases.perform(_dept_actor("JINJIANG-SHUYUAN"), case.number, "recall", {"reason": "x"})
    with pytest.raises(InvalidInput):
        cases.perform(district, case.number, "recall", {"reason": ""})
    cases.perform(district, case.number, "recall", {"reason": "街道人手不足，区里直接办"})
    assert case.department.code == "JINJIANG" and case.via_department_id is None
    assert case.status == "in_progress"
    assert not cases.can_see(street, case)
    recall = cases.timeline(case, public_only=False)[-1]
    assert (recall.action, recall.public, recall.data["from"]) == \
        ("recall", False, "JINJIANG-CHUNXI")


def test_a_streets_return_goes_back_to_its_district(streets):
    case = _register(department="JINJIANG")
    cases.perform(_dept_actor("JINJIANG"), case.number, "dispatch",
                  {"department": "JINJIANG-SHUYUAN"})
    cases.perform(_dept_actor("JINJIANG-SHUYUAN"), case.number, "return",
                  {"reason": "不在本街道辖区"})
    assert case.department.code == "JINJIANG" and case.status == "dispatched"
    assert case.return_count == 1 and case.sign_deadline is not None


def test_the_centre_sees_a_streets_case_the_district_did_not_pass_on(streets):
    case = _register(department="JINJIANG-CHUNXI")
    district = _dept_actor("JINJIANG")
    assert cases.can_see(district, case)
    assert cases.allowed_actions(district, case) == ["note"]
    assert not cases.can_see(_dept_actor("URBAN"), case)


def test_assisting_departments_at_registration_and_dispatch(world):
    case = _register(department="URBAN", assist=["HOUSING"])
    assert [d.code for d in case.assisting] == ["HOUSING"]
    housing = _dept_actor("HOUSING")
    assert cases.can_see(housing, case)
    assert cases.allowed_actions(housing, case) == ["note"]
    cases.perform(_dept_actor("URBAN"), case.number, "accept")
    with pytest.raises(Forbidden):
        cases.perform(housing, case.number, "reply", {"content": "我们来答复"})
    cases.perform(housing, case.number, "note", {"content": "住建局已约谈物业"})
    note = cases.timeline(case, public_only=False)[-1]
    assert (note.action, note.public, note.department.code, note.data["part"]) == \
        ("note", False, "HOUSING", "assisting")
    supervisor = Actor(label="督办员", role=Role.SUPERVISOR)
    cases.perform(supervisor, case.number, "dispatch", {"department": "HOUSING"})
    assert case.department.code == "HOUSING" and case.assisting == []  # the lead left it
    cases.perform(supervisor, case.number, "dispatch",
                  {"department": "URBAN", "assist": ["HOUSING", "JINJIANG"]})
    assert [d.code for d in case.assisting] == ["HOUSING", "JINJIANG"]
    assert cases.timeline(case, public_only=False)[-1].data["assist"] == ["HOUSING", "JINJIANG"]


@pytest.mark.parametrize("assist, department", [
    (["URBAN"], "URBAN"), (["NOPE"], "URBAN"), ("HOUSING,URBAN", None), ([3], "URBAN"),
    ({"a": 1}, "URBAN"), (["HOUSING"], None)])
def test_bad_assisting_departments_are_refused_by_name(world, assist, department):
    with pytest.raises(InvalidInput) as refused:
        _register(department=department, assist=assist)
    assert refused.value.field == "assist"


def test_a_note_does_not_change_the_case_or_its_version(world):
    case = _register(department="URBAN", assist=["HOUSING"])
    db.session.flush()
    version, updated = case.version, case.updated_at
    cases.perform(_dept_actor("HOUSING"), case.number, "note", {"content": "已到现场"})
    db.session.flush()
    assert (case.version, case.updated_at) == (version, updated)


def test_statistics_count_a_co_handled_case_once_for_its_lead(world):
    _register(department="URBAN", assist=["HOUSING", "JINJIANG"])
    _register(department="HOUSING")
    db.session.flush()
    today = periods.local_date(utcnow())
    report = stats.report(periods.Period(today, today), now=utcnow(), live=True)
    assert report.total.get("total") == 2
    by_department = {s.key: s.get("total") for s in report.departments}
    assert by_department == {"URBAN": 1, "HOUSING": 1}
    assigned = {s.key: s.get("assigned") for s in report.departments}
    assert assigned == {"URBAN": 1, "HOUSING": 1}
