"""The case (工单) aggregate: the citizen, the case itself and its event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from hotline.models.base import Base, enum_column, utcnow
from hotline.models.enums import (
    OPEN_STATUSES,
    UNSETTLED_STATUSES,
    CaseAction,
    CaseStatus,
    Channel,
    GeoAccuracy,
    RequestType,
    Satisfaction,
    Urgency,
)
from hotline.models.leader import LeaderMailbox
from hotline.models.org import Category, Department
from hotline.models.user import User

# The trigram index of the text search (PostgreSQL only; see Case.search_text).
# What the map reads of a case (services/casemap.py), kept in one index with created_at.
MAP_COLUMNS = ("lat", "lon", "district", "street", "geo_accuracy", "status", "category_id",
               "department_id")
SEARCH_TEXT_SQL = "(title || ' ' || content || ' ' || coalesce(address, ''))"
# The events the oversight figures read besides dispatches and returns (services/kpi.py).
def _sql_in(column: str, values) -> str:
    """``column IN ('a', 'b')`` for an index's WHERE, from enum members."""
    return "{} IN ({})".format(column, ", ".join(f"'{v.value}'" for v in values))


FIGURE_EVENTS = (CaseAction.DEADLINE_OVERDUE, CaseAction.FEEDBACK)
FIGURE_EVENTS_SQL = _sql_in("action", FIGURE_EVENTS)
OPEN_SQL = _sql_in("status", sorted(OPEN_STATUSES))
# The supervisor's queue counts (services/queries.py) read each queue from an index that
# holds its cases only, with the columns the actor's visibility reads.
VISIBILITY_COLUMNS = ("department_id", "via_department_id", "id")
# An open case waiting on a supervisor: an extension request, a return, a reopening.
FLAGGED_SQL = "pending_extension_days IS NOT NULL OR return_count > 0 OR reopen_count > 0"
FLAGGED_COLUMNS = ("pending_extension_days", "return_count", "reopen_count")
UNSETTLED_SQL = _sql_in("status", UNSETTLED_STATUSES)


def due_index(name: str, column: str, marker: str | None, statuses: str) -> Index:
    """A partial index over the cases whose ``column`` point has not fired yet."""
    condition = f"status IN ({statuses})" + (f" AND {marker} IS NULL" if marker else "")
    where = text(condition)
    return Index(f"ix_case_due_{name}", column, postgresql_where=where, sqlite_where=where)


class Citizen(Base):
    """A person who contacted the hotline; the phone number is personal data."""

    __tablename__ = "citizen"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    contact: Mapped[str | None] = mapped_column(String(200))  # openid or e-mail address
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: the assisting departments of a case (协办单位); the case's ``department`` is its lead
#: (主办单位), the one that replies and that the statistics count it for
case_assist = Table(
    "case_assist", Base.metadata,
    Column("case_id", ForeignKey("case.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id"), primary_key=True, index=True),
)


class Case(Base):
    """A citizen's request as the hotline handles it, from registration to closure."""

    __tablename__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    query_code: Mapped[str] = mapped_column(String(12))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(40))
    street: Mapped[str | None] = mapped_column(String(60))
    #: the case's point on the map (WGS84) and how exact it is; None until located
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    geo_accuracy: Mapped[GeoAccuracy | None] = mapped_column(enum_column(GeoAccuracy,
                                                                         length=10))
    request_type: Mapped[RequestType] = mapped_column(enum_column(RequestType))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency), default=Urgency.NORMAL)
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    #: the district government that passed the case on to one of its street offices
    #: (二级派单): it keeps the case in view and may take it back (recall)
    via_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizen.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    external_ref: Mapped[str | None] = mapped_column(String(120))  # call id, message id
    recording_ref: Mapped[str | None] = mapped_column(String(200))
    #: the leader's mailbox a letter is addressed to, and whether its writer agreed to
    #: publish the answer (公开答复, personal data removed)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("leader_mailbox.id"),
                                                   index=True)
    publish_consent: Mapped[bool] = mapped_column(default=False)
    #: the language the citizen is written to in (``zh_CN`` or ``en``); None: the
    #: deployment's (``HOTLINE_LANGUAGE``)
    language: Mapped[str | None] = mapped_column(String(8))

    answer: Mapped[str | None] = mapped_column(Text)  # the reply or direct resolution
    supervised: Mapped[bool] = mapped_column(default=False)
    supervise_note: Mapped[str | None] = mapped_column(Text)
    overdue: Mapped[bool] = mapped_column(default=False)
    reopen_count: Mapped[int] = mapped_column(default=0)
    return_count: Mapped[int] = mapped_column(default=0)
    pending_extension_days: Mapped[int | None]
    pending_extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_days: Mapped[int] = mapped_column(default=0)
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_column(Satisfaction))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    dispatched_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Deadlines and their warning points are set in the action's transaction
    # (services.deadlines); the *_at markers record when a job fired them, so each fires once.
    sign_warn_at: Mapped[datetime | None]
    sign_deadline: Mapped[datetime | None]
    handle_warn_at: Mapped[datetime | None]
    handle_deadline: Mapped[datetime | None]
    sign_warned_at: Mapped[datetime | None]
    sign_overdue_at: Mapped[datetime | None]
    handle_warned_at: Mapped[datetime | None]
    handle_overdue_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    followup_due_at: Mapped[datetime | None]
    followup_sent_at: Mapped[datetime | None]
    followup_remind_at: Mapped[datetime | None]
    followup_reminded_at: Mapped[datetime | None]
    followup_expire_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    category: Mapped[Category | None] = relationship()
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    via_department: Mapped[Department | None] = relationship(foreign_keys=[via_department_id])
    assisting: Mapped[list[Department]] = relationship(secondary=case_assist,
                                                       order_by=Department.id)
    citizen: Mapped[Citizen | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    merged_into: Mapped[Case | None] = relationship(remote_side=[id])
    mailbox: Mapped[LeaderMailbox | None] = relationship()
    events: WriteOnlyMapped[CaseEvent] = relationship(
        back_populates="case", order_by="CaseEvent.id", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def search_text(cls):
        """Title, content and address as one text, the expression the text search matches.

        PostgreSQL indexes exactly this expression with trigrams (``SEARCH_TEXT_SQL``), so the
        query must build it the same way: literals inline, not bound parameters.
        """
        space = literal_column("' '")
        return cls.title + space + cls.content + space + func.coalesce(cls.address,
                                                                       literal_column("''"))
    __table_args__ = (
        Index("ix_case_department_status_deadline", "department_id", "status", "handle_deadline"),
        # The workbench reads each state's cases in the order of its running clock, and
        # counts them from this index alone (PostgreSQL: an index-only scan).
        Index("ix_case_department_status_sign_deadline", "department_id", "status",
              "sign_deadline",
              postgresql_include=["handle_deadline", "pending_extension_days"]),
        Index("ix_case_status_id", "status", "id"),
        Index("ix_case_created_at", "created_at"),
        # The queues' counts on the list's header read each queue's cases from an index
        # that holds only them (PostgreSQL: an index-only scan), never the rows: the open
        # cases waiting on a supervisor, and each running clock by its deadline, so that a
        # count reads the overdue and the due-today cases, not every open one.
        Index("ix_case_open_flagged", "status",
              postgresql_include=[*FLAGGED_COLUMNS, *VISIBILITY_COLUMNS],
              postgresql_where=text(f"{OPEN_SQL} AND ({FLAGGED_SQL})"),
              sqlite_where=text(f"{OPEN_SQL} AND ({FLAGGED_SQL})")),
        Index("ix_case_sign_clock", "sign_deadline",
              postgresql_include=list(VISIBILITY_COLUMNS),
              postgresql_where=text("status = 'dispatched'"),
              sqlite_where=text("status = 'dispatched'")),
        Index("ix_case_handle_clock", "handle_deadline",
              postgresql_include=list(VISIBILITY_COLUMNS),
              postgresql_where=text("status = 'in_progress'"),
              sqlite_where=text("status = 'in_progress'")),
        # The oversight figures count a period's unsettled cases live (services/rollup.py):
        # found from this index, their number, not the period's, sets the cost.
        Index("ix_case_unsettled_created", "created_at",
              postgresql_where=text(UNSETTLED_SQL), sqlite_where=text(UNSETTLED_SQL)),
        # The map counts a period's cases by place and cell from this index alone (SQLite:
        # a covering index; PostgreSQL: an index-only scan), never reading the wide rows.
        Index("ix_case_map", "created_at", *MAP_COLUMNS),
        # A channel's reference (a CTI call id, a message id) registers one case: a caller's
        # retry finds the case instead of making a second one.
        Index("uq_case_channel_external_ref", "channel", "external_ref", unique=True,
              postgresql_where=text("external_ref IS NOT NULL"),
              sqlite_where=text("external_ref IS NOT NULL")),
        # The sweep asks "which unfired deadline points have passed?": one small partial
        # index per point keeps that under a second with a million open cases.
        *(due_index(name, column, marker, statuses) for name, column, marker, statuses in (
            ("sign_warn", "sign_warn_at", "sign_warned_at", "'dispatched'"),
            ("sign_overdue", "sign_deadline", "sign_overdue_at", "'dispatched'"),
            ("handle_warn", "handle_warn_at", "handle_warned_at", "'dispatched', 'in_progress'"),
            ("handle_overdue", "handle_deadline", "handle_overdue_at",
             "'dispatched', 'in_progress'"),
            ("escalate", "escalate_at", "escalated_at", "'dispatched', 'in_progress'"),
            ("followup", "followup_due_at", "followup_sent_at", "'replied'"),
            ("followup_remind", "followup_remind_at", "followup_reminded_at", "'replied'"),
            ("followup_expire", "followup_expire_at", None, "'replied'"),
        )),
    )

    @property
    def is_open(self) -> bool:
        return self.status.is_open


class CaseEvent(Base):
    """One thing that happened to a case: who, when, what, why.

    The citizen's timeline (``public``) and the supervisors' audit trail are both read from
    these rows; nothing changes a case without writing one.
    """

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[CaseAction] = mapped_column(enum_column(CaseAction, length=40))
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    to_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    case: Mapped[Case] = relationship(back_populates="events")
    department: Mapped[Department | None] = relationship()

    __table_args__ = (
        Index("ix_case_event_case_id_id", "case_id", "id"),
        Index("ix_case_event_action_at", "action", "at"),
        # The departments each case was dispatched to, read case by case by the oversight
        # counts (without it PostgreSQL scanned every dispatch of the archive, 1.7 s at 1M).
        Index("ix_case_event_dispatch", "case_id", "department_id",
              postgresql_where=text("action = 'dispatch'"),
              sqlite_where=text("action = 'dispatch'")),
        # The overdue marks and the ratings the oversight figures read per case (a few of
        # a case's events, often none: found without reading the others), with what the
        # figures read of them, so PostgreSQL answers from the index alone.
        Index("ix_case_event_figure_facts", "case_id",
              postgresql_include=["action", "at", "data"],
              postgresql_where=text(FIGURE_EVENTS_SQL), sqlite_where=text(FIGURE_EVENTS_SQL)),
    )


class CaseNumberCounter(Base):
    """The last sequence number handed out on a local calendar day."""

    __tablename__ = "case_number_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
