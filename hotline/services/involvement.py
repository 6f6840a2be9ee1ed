"""Which departments take part in a case, and how: the lead (主办, the case's department,
the one that replies and that the statistics count it for), the district government over it
(a district that passed the case on to one of its street offices, 二级派单, or simply the
street's parent: it keeps every case of its streets in view), and the assisting departments
(协办, who add their part as notes).

Below :mod:`hotline.services.cases`: the case actions ask here who may see and act.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import Case, Department, case_assist
from hotline.services import directory

LEAD, DISTRICT, ASSISTING = "lead", "district", "assisting"
ASSIST_MAX = 10  # assisting departments on one case


def streets_of(department_id: int | None) -> list[Department]:
    """The active departments under this one (a district government's street offices)."""
    if department_id is None:
        return []
    return list(db.session.scalars(select(Department).where(
        Department.parent_id == department_id, Department.active.is_(True))
        .order_by(Department.id)))


def _scope_ids(department_id: int) -> list[int]:
    """The department itself and the departments under it."""
    return [department_id, *db.session.scalars(select(Department.id).where(
        Department.parent_id == department_id))]


def visible_condition(department_id: int):
    """The cases a department sees: its own, its streets', the ones it passed on, and the
    ones it assists on."""
    return or_(Case.department_id.in_(_scope_ids(department_id)),
               Case.via_department_id == department_id,
               Case.id.in_(select(case_assist.c.case_id)
                           .where(case_assist.c.department_id == department_id)))


def part(department_id: int | None, case: Case) -> str | None:
    """How a department takes part in the case: ``lead``, ``district`` (over the lead, or
    the one that passed it on), ``assisting``, or None."""
    if department_id is None:
        return None
    if case.department_id == department_id:
        return LEAD
    if case.via_department_id == department_id or (
            case.department is not None and case.department.parent_id == department_id):
        return DISTRICT
    if any(d.id == department_id for d in case.assisting):
        return ASSISTING
    return None


def checked_assist(value: Any, lead: Department | None, *, field: str = "assist",
                   among: list[Department] | None = None) -> list[Department]:
    """The assisting departments named by ``value`` (a list of codes), or InvalidInput
    naming ``field``: each must be an active department, not the lead, and (for a
    district's dispatch) one of ``among``."""
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("「{field}」应为承办单位代码的列表", field=field)
    codes = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(codes) > ASSIST_MAX:
        raise InvalidInput("协办单位最多 {max} 个", field=field, max=ASSIST_MAX)
    if codes and lead is None:
        raise InvalidInput("指定协办单位时须同时指定主办单位", field=field)
    departments = [directory.routable_department(code, field=field) for code in codes]
    if any(d.id == lead.id for d in departments):
        raise InvalidInput("主办单位不能同时是协办单位", field=field)
    if among is not None:
        allowed = {d.id for d in among}
        if any(d.id not in allowed for d in departments):
            raise InvalidInput("区级单位只能指定本单位的下级单位协办", field=field)
    return departments


def set_assisting(case: Case, departments: list[Department]) -> None:
    """Make ``departments`` the case's assisting ones (the lead never among them)."""
    case.assisting = [d for d in departments if d.id != case.department_id]


def codes(departments: list[Department]) -> list[str]:
    return [d.code for d in departments]
