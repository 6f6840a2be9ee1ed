"""Finding cases: the filters and keyset pages shared by the staff pages and the API."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, or_, select, true, union_all
from sqlalchemy.orm import joinedload, selectinload

from hotline import boundary, phones
from hotline.errors import InvalidInput
from hotline.extensions import db
from hotline.models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Channel,
    Citizen,
    Department,
    RequestType,
    Urgency,
    case_assist,
    utcnow,
)
from hotline.services import directory, kpi, text_search
from hotline.services.actors import Actor
from hotline.services.cases import visible_cases, visible_condition
from hotline.services.validation import calendar_date, choice, optional_text, whole_number


@dataclass
class CaseFilter:
    """What a supervisor (or an API client) asks of the case list; all optional."""

    status: str | None = None
    department: str | None = None
    channel: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    overdue: bool = False
    text: str | None = None
    # oversight drill-down: "-" asks for cases without a category / district / department
    category: str | None = None
    district: str | None = None
    request_type: str | None = None
    kpi: str | None = None  # a figure of services.kpi: the cases behind it
    urgency: str | None = None
    pending: str | None = None  # "extension": a department's extension request waits
    reopened: bool = False
    queue: str | None = None  # one of QUEUES: the supervisor's work queues
    phone: str | None = None  # the citizen's number in any common format (never shown)
    sort: str | None = None  # one of SORTS, "-" first for descending


#: the supervisor's work queues, in the order the header shows them
QUEUES = ("extension", "returned", "reopened", "overdue", "due_today")
#: the columns a list may be sorted by (with "-" in front: descending)
SORTS = {
    "number": Case.id, "created": Case.created_at, "status": Case.status,
    "department": Case.department_id, "urgency": Case.urgency,
    "deadline": func.coalesce(Case.handle_deadline, Case.sign_deadline),
}
PENDING = ("extension",)


def filter_from(args) -> CaseFilter:
    """The filter a list page or the API asks for in its query string (a mapping of
    strings); unknown values are refused by name when the search runs."""
    def get(name: str) -> str | None:
        return args.get(name) or None
    return CaseFilter(
        status=get("status"), department=get("department"), channel=get("channel"),
        date_from=get("from"), date_to=get("to"), overdue=args.get("overdue") == "1",
        text=get("q"), category=get("category"), district=get("district"),
        request_type=get("type"), kpi=get("kpi"), urgency=get("urgency"),
        pending=get("pending"), reopened=args.get("reopened") == "1", queue=get("queue"),
        phone=get("phone"), sort=get("sort"))


@dataclass
class Page:
    items: list[Case]
    next_cursor: str | None


def encode_cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(str(case_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        case_id = int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("「{field}」无效", field="cursor") from None
    if not 0 < case_id <= boundary.MAX_ROW_ID:
        raise InvalidInput("「{field}」无效", field="cursor")
    return case_id


def _local_day_start(value: str, field: str) -> datetime:
    day = calendar_date(value, field)
    return datetime.combine(day, time(), ZoneInfo(current_app.config["TIMEZONE"]))


#: each running clock: the state it runs in and its deadline (an index each:
#: ``ix_case_sign_clock``, ``ix_case_handle_clock``)
CLOCKS = ((CaseStatus.DISPATCHED, Case.sign_deadline),
          (CaseStatus.IN_PROGRESS, Case.handle_deadline))


def _overdue_on(status: CaseStatus, deadline, now: datetime):
    return and_(Case.status == status, deadline < now)


def _due_today_on(status: CaseStatus, deadline, now: datetime):
    return and_(Case.status == status, deadline >= now, deadline < _local_day_end(now))


def overdue_condition(now: datetime):
    """Cases whose running clock has passed its deadline."""
    return or_(*(_overdue_on(status, deadline, now) for status, deadline in CLOCKS))


def _local_day_end(now: datetime) -> datetime:
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    local = now.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), time(), tz)


def queue_condition(name: str, now: datetime):
    """The cases in one of the supervisor's queues (see :data:`QUEUES`)."""
    conditions = {
        # a request the supervisor can still decide (only a running case's)
        "extension": and_(Case.pending_extension_days.is_not(None),
                          Case.status.in_((CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS))),
        "returned": and_(Case.status == CaseStatus.REGISTERED, Case.return_count > 0),
        "reopened": and_(Case.reopen_count > 0, Case.status.in_(OPEN_STATUSES)),
        "overdue": overdue_condition(now),
        "due_today": or_(*(_due_today_on(status, deadline, now)
                           for status, deadline in CLOCKS)),
    }
    if name not in conditions:
        raise InvalidInput("「{field}」无效", field="queue")
    return conditions[name]


#: the queues of the open cases waiting on a supervisor, counted from ``ix_case_open_flagged``
FLAGGED_QUEUES = ("extension", "returned", "reopened")


def queue_counts(actor: Actor) -> dict[str, int]:
    """How many cases the actor may see wait in each queue: the list's header.

    Each queue is counted from an index that holds its cases only, with the columns the
    actor's visibility reads (PostgreSQL: index-only scans, one statement): the open cases
    waiting on a supervisor (an extension, a return, a reopening) from one small partial
    index, and the overdue and due-today cases as a range of each running clock's
    deadline. So the cost follows the cases in the queues, not the open cases nor the
    archive. (Counting every open case with a filter a queue was 5-8 ms at 1,000,000
    cases and 12-20 ms at 10,000,000, whose generated history leaves more stragglers
    open; a scan of every case before that: 2.3 s.) The actor's visibility is a
    condition on the same rows, not a second look-up of each case."""
    now = utcnow()
    day_end = _local_day_end(now)
    visible = visible_condition(actor)

    def tally(name: str, where, **queues):
        """One scan of the cases ``where`` selects: each queue a count of some of them."""
        return select(*(func.count().filter(condition).label(queue)
                        for queue, condition in queues.items())).select_from(Case).where(
            *where, *([] if visible is None else [visible])).subquery(name)

    flagged = tally("flagged", (Case.status.in_(sorted(OPEN_STATUSES)), or_(
        Case.pending_extension_days.is_not(None), Case.return_count > 0,
        Case.reopen_count > 0)), **{name: queue_condition(name, now) for name in FLAGGED_QUEUES})
    # Each clock is read once, up to the end of the local day, and split at now: the terms
    # of _overdue_on and _due_today_on without their state, which the partial index implies
    # and does not hold (naming it again in a FILTER reads every row: 137 ms at 10M, not 6).
    clocks = [tally(f"clock_{status.value}", (Case.status == status, deadline < day_end),
                    overdue=deadline < now, due_today=deadline >= now)
              for status, deadline in CLOCKS]
    joined = flagged
    for clock in clocks:
        joined = joined.join(clock, true())
    row = db.session.execute(select(
        *(flagged.c[name] for name in FLAGGED_QUEUES),
        *(sum((clock.c[name] for clock in clocks[1:]), clocks[0].c[name])
          for name in ("overdue", "due_today"))).select_from(joined)).one()
    return dict(zip(QUEUES, row, strict=True))


def _apply_work(query, flt: CaseFilter):
    """The filters of the supervisor's tools: queue, urgency, pending, reopened, phone."""
    if flt.queue:
        query = query.where(queue_condition(flt.queue, utcnow()))
    if flt.urgency:
        query = query.where(Case.urgency == choice(flt.urgency, Urgency, "urgency"))
    if flt.pending:
        if flt.pending not in PENDING:
            raise InvalidInput("「{field}」无效", field="pending")
        query = query.where(Case.pending_extension_days.is_not(None))
    if flt.reopened:
        query = query.where(Case.reopen_count > 0)
    typed = optional_text(flt.phone, "phone", max_chars=40)
    if typed:
        number = phones.normalise(typed)
        if number is None:
            raise InvalidInput("「{field}」不是有效的电话号码", field="phone")
        query = query.where(Case.citizen_id.in_(
            select(Citizen.id).where(Citizen.phone == number)))
    return query


def _apply(query, flt: CaseFilter, **text_kw):
    query = _apply_work(query, flt)
    if flt.status:
        query = query.where(Case.status == choice(flt.status, CaseStatus, "status"))
    if flt.channel:
        query = query.where(Case.channel == choice(flt.channel, Channel, "channel"))
    dept_id = None
    if flt.department == "-":
        query = query.where(Case.department_id.is_(None))
    elif flt.department:
        dept_id = directory.department_by_code(flt.department, field="department").id
        if flt.kpi not in kpi.EVENT_DEPARTMENT_KPIS:
            query = query.where(Case.department_id == dept_id)
    if flt.category:
        query = query.where(Case.category_id.is_(None) if flt.category == "-" else
                            Case.category_id == directory.category_by_code(
                                flt.category, field="category").id)
    if flt.district:
        query = query.where(Case.district.is_(None) if flt.district == "-" else
                            Case.district == flt.district)
    if flt.request_type:
        query = query.where(Case.request_type == choice(flt.request_type, RequestType, "type"))
    if flt.kpi:
        query = query.where(kpi.kpi_condition(flt.kpi, now=utcnow(), department_id=dept_id))
    if flt.date_from:
        query = query.where(Case.created_at >= _local_day_start(flt.date_from, "from"))
    if flt.date_to:
        query = query.where(
            Case.created_at < _local_day_start(flt.date_to, "to") + timedelta(days=1))
    if flt.overdue:
        query = query.where(overdue_condition(utcnow()))
    text = optional_text(flt.text, "q", max_chars=100)
    if text:
        query = query.where(text_search.text_condition(text, **text_kw))
    return query


def _sort(flt: CaseFilter):
    """The ORDER BY of a sorted list (id breaks ties), or None for the default, newest first."""
    if not flt.sort or flt.sort == "-number":
        return None
    key = flt.sort.lstrip("-")
    if key not in SORTS:
        raise InvalidInput("「{field}」无效", field="sort")
    column = SORTS[key]
    if flt.sort.startswith("-"):
        return (column.desc().nulls_last(), Case.id.desc())
    return (column.asc().nulls_last(), Case.id.asc())


def filtered(actor: Actor, flt: CaseFilter):
    """The SELECT of every case the actor may see that matches the filter, in list order."""
    query = _apply(visible_cases(actor), flt)
    order = _sort(flt)
    return query.order_by(*(order or (Case.id.desc(),)))


def search(actor: Actor, flt: CaseFilter, *, limit: int | str | None = None,
           cursor: str | None = None) -> Page:
    """One page of the cases the actor may see, newest first (or by ``flt.sort``), with a
    cursor to the next (an id for the default order, an offset for a sorted one)."""
    size = whole_number(limit or current_app.config["PAGE_SIZE"], "limit", minimum=1,
                        maximum=200)
    sorted_by = _sort(flt)
    # Every row shows its category and department: fetched in the same query, not one
    # look-up per distinct value.
    options = (joinedload(Case.category), joinedload(Case.department),
               selectinload(Case.assisting))
    offset = 0
    if sorted_by is None:
        before = decode_cursor(cursor) if cursor else None
        if optional_text(flt.text, "q", max_chars=100):
            # newest first in widening windows of ids: the page of words that are rare
            # together without fetching and sorting every match of the archive
            rows = text_search.newest_first(
                lambda **text_kw: _apply(visible_cases(actor), flt, **text_kw),
                before=before, limit=size + 1, options=options)
        else:
            query = _apply(visible_cases(actor), flt)
            if before is not None:
                query = query.where(Case.id < before)
            rows = list(db.session.scalars(
                query.order_by(Case.id.desc()).options(*options).limit(size + 1)))
    else:
        offset = decode_cursor(cursor) - 1 if cursor else 0
        query = _apply(visible_cases(actor), flt).order_by(*sorted_by).offset(offset)
        rows = list(db.session.scalars(query.options(*options).limit(size + 1)))
    next_cursor = None
    if len(rows) > size:
        next_cursor = encode_cursor(rows[size - 1].id if sorted_by is None
                                    else offset + size + 1)
    return Page(items=rows[:size], next_cursor=next_cursor)


def export_cases(actor: Actor, flt: CaseFilter) -> list[Case]:
    """Every case of the filtered list, in list order, up to ``EXPORT_MAX_ROWS``; more is
    refused by name so a download never silently stops short."""
    limit = current_app.config["EXPORT_MAX_ROWS"]
    query = filtered(actor, flt).options(joinedload(Case.category), joinedload(Case.department))
    rows = list(db.session.scalars(query.limit(limit + 1)))
    if len(rows) > limit:
        raise InvalidInput("导出最多 {limit} 条，请缩小筛选范围", field="limit", limit=limit)
    return rows


def workbench(department_id: int, *, limit: int = 50) -> list[Case]:
    """A department's cases to act on, the most pressing deadline first.

    Each state's running clock has its own index (department, status, deadline): the first
    ``limit`` cases of each state are read in deadline order and merged, instead of fetching
    and sorting every open case of the department (thousands in a big city bureau).
    """
    firsts = [
        select(Case.id.label("id"), deadline.label("deadline"))
        .where(Case.department_id == department_id, Case.status == status)
        .order_by(deadline.asc().nulls_last(), Case.id)
        .limit(limit)
        .subquery()
        for status, deadline in ((CaseStatus.DISPATCHED, Case.sign_deadline),
                                 (CaseStatus.IN_PROGRESS, Case.handle_deadline))
    ]
    both = union_all(*(select(first.c.id, first.c.deadline) for first in firsts)).subquery()
    query = (select(Case).join(both, both.c.id == Case.id)
             .order_by(both.c.deadline.asc().nulls_last(), Case.id)
             .limit(limit))
    return list(db.session.scalars(query))


def _pressing_first(query, limit: int) -> list[Case]:
    deadline = func.coalesce(Case.handle_deadline, Case.sign_deadline)
    return list(db.session.scalars(query.order_by(deadline.asc().nulls_last(), Case.id)
                                   .options(joinedload(Case.department)).limit(limit)))


def assisting_work(department_id: int, *, limit: int = 50) -> list[Case]:
    """The open cases a department assists on (协办), the most pressing deadline first: it
    adds its part as notes, the lead replies."""
    return _pressing_first(
        select(Case).join(case_assist, case_assist.c.case_id == Case.id)
        .where(case_assist.c.department_id == department_id,
               Case.status.in_([CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS])), limit)


def street_work(department_id: int, *, limit: int = 50) -> list[Case]:
    """A district government's view of its street offices' cases (二级派单): those in hand
    and those answered and waiting for the citizen, the most pressing deadline first."""
    streets = select(Department.id).where(Department.parent_id == department_id)
    return _pressing_first(
        select(Case).where(Case.department_id.in_(streets),
                           Case.status.in_([CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS,
                                            CaseStatus.REPLIED])), limit)


def workbench_counts(department_id: int) -> dict[str, int]:
    """How many of the department's cases wait for sign-for, are in hand, or are overdue."""
    now = utcnow()
    base = (Case.department_id == department_id) & Case.status.in_(
        [CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS])
    row = db.session.execute(select(
        func.count().filter(Case.status == CaseStatus.DISPATCHED),
        func.count().filter(Case.status == CaseStatus.IN_PROGRESS),
        func.count().filter(overdue_condition(now)),
        func.count().filter(Case.pending_extension_days.is_not(None)),
    ).where(base)).one()
    return {"dispatched": row[0], "in_progress": row[1], "overdue": row[2],
            "pending_extension": row[3]}


def open_count() -> int:
    return db.session.scalar(select(func.count()).where(Case.status.in_(OPEN_STATUSES))) or 0
