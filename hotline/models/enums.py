"""Closed vocabularies of the domain: states, roles, channels and request kinds.

Values are the English names used in the API, the database and the event log; labels
shown to people come from the translation catalogue.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AccountState(StrEnum):
    """What an admin sees of a staff account: signed-in allowed, disabled, held back by
    failed sign-ins, or waiting for the user to choose a new password."""

    ACTIVE = "active"
    DISABLED = "disabled"
    LOCKED = "locked"
    MUST_CHANGE_PASSWORD = "must_change_password"


class CaseStatus(StrEnum):
    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    CLOSED = "closed"
    MERGED = "merged"

    @property
    def group(self) -> str:
        """open, awaiting follow-up, or finished: code asks the group, not the label."""
        return STATUS_GROUPS[self]

    @property
    def is_open(self) -> bool:
        return self.group == "open"


STATUS_GROUPS = {
    CaseStatus.REGISTERED: "open",
    CaseStatus.DISPATCHED: "open",
    CaseStatus.IN_PROGRESS: "open",
    CaseStatus.REPLIED: "replied",
    CaseStatus.CLOSED: "finished",
    CaseStatus.MERGED: "finished",
}
OPEN_STATUSES = frozenset(s for s, g in STATUS_GROUPS.items() if g == "open")
# Settled: finished, a case's figures no longer move with the clock (the statistics rollup
# holds these only); every other status is unsettled. Tuples: their order is the SQL's.
SETTLED_STATUSES = tuple(s for s, g in STATUS_GROUPS.items() if g == "finished")
UNSETTLED_STATUSES = tuple(s for s, g in STATUS_GROUPS.items() if g != "finished")


class Channel(StrEnum):
    PHONE = "phone"
    MAILBOX = "mailbox"
    EMAIL = "email"
    WECHAT = "wechat"
    SMS = "sms"
    WEBCHAT = "webchat"
    API = "api"


class RequestType(StrEnum):
    CONSULTATION = "consultation"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    NOT_RATED = "not_rated"


class CaseAction(StrEnum):
    """What a case event records: the actions people take (see ``services.cases.RULES``),
    what registration, intake and the citizen write, and the automatic points the deadline
    and follow-up jobs fire."""

    REGISTER = "register"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    EXTEND = "extend"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    REPLY = "reply"
    RESOLVE = "resolve"
    CLOSE = "close"
    SUPERVISE = "supervise"
    REOPEN = "reopen"
    MERGE = "merge"
    MERGED_IN = "merged_in"
    FEEDBACK = "feedback"
    REPEAT = "repeat"  # a message from a channel joined an open case as a repeat
    SUPPLEMENT = "supplement"  # the citizen added to their own open case
    DEADLINE_WARNING = "deadline_warning"
    DEADLINE_OVERDUE = "deadline_overdue"
    ESCALATE = "escalate"  # the automatic supervision point (its event says supervise)
    FOLLOWUP_SENT = "followup_sent"
    FOLLOWUP_REMINDED = "followup_reminded"
    FOLLOWUP_EXPIRED = "followup_expired"
    NOTE = "note"  # a department's internal note (an assisting department's part)
    RECALL = "recall"  # a district takes back a case it passed on to a street


class InboundStatus(StrEnum):
    """What became of a message a channel delivered (``InboundMessage.status``)."""

    RECEIVED = "received"
    PROCESSING = "processing"
    CASE = "case"
    APPENDED = "appended"
    ANSWERED = "answered"
    IGNORED = "ignored"
    REVIEW = "review"
    DISCARDED = "discarded"

    @property
    def finished(self) -> bool:
        """Whether nothing more will happen to the message."""
        return self in INBOUND_FINISHED


INBOUND_FINISHED = frozenset({InboundStatus.CASE, InboundStatus.APPENDED,
                              InboundStatus.ANSWERED, InboundStatus.IGNORED,
                              InboundStatus.DISCARDED})


class ConversationStatus(StrEnum):
    """A web chat waits for an agent, is active with one, or is closed."""

    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"


class ChatAuthor(StrEnum):
    """Who wrote a line of a web chat."""

    CITIZEN = "citizen"
    AGENT = "agent"
    SYSTEM = "system"


class OutboxStatus(StrEnum):
    """Where an outbound message stands: waiting, held by a sender, delivered, given up."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class NoticeKind(StrEnum):
    """The steps of a case the citizen is told about on their own channel."""

    REGISTERED = "registered"
    DISPATCHED = "dispatched"
    EXTENDED = "extended"
    REPLIED = "replied"
    REOPENED = "reopened"
    CLOSED = "closed"
    #: registered and dispatched in one go: one message, the registration naming the
    #: department
    DISPATCHED_AT_ONCE = "dispatched_at_once"
    #: merged into another case (并单): which case now carries the request
    MERGED = "merged"


class MailboxKind(StrEnum):
    """Whose mailbox a leader's mailbox (领导信箱) is."""

    MAYOR = "mayor"
    PARTY_SECRETARY = "party_secretary"
    OFFICIAL = "official"
    DEPARTMENT_HEAD = "department_head"


class ModelStatus(StrEnum):
    """The life of a classifier model version; exactly one is active."""

    TRAINING = "training"
    READY = "ready"
    ACTIVE = "active"
    RETIRED = "retired"
    FAILED = "failed"


class ModelSource(StrEnum):
    """What a model version was trained on."""

    STARTER = "starter"
    CASES = "cases"
    CSV = "csv"


class CorrectionSource(StrEnum):
    """Where a routing correction was made."""

    INTAKE = "intake"
    REDISPATCH = "redispatch"
    RETURN = "return"


class DayKind(StrEnum):
    """A calendar exception: a public holiday, or a make-up working day (调休)."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"


class DaySource(StrEnum):
    """Who entered a calendar day: the official calendar, or an admin."""

    OFFICIAL = "official"
    ADMIN = "admin"


class CalendarKind(StrEnum):
    """How a service-level clock runs: working time only, or around the clock."""

    WORKDAY = "workday"
    NATURAL = "natural"


class Severity(StrEnum):
    """How much a quality finding matters: a hint, something to fix, or a serious fault."""

    INFO = "info"
    WARNING = "warning"
    SERIOUS = "serious"


class FindingCode(StrEnum):
    """What the quality inspection found in a reply (first group) or an agent's record."""

    OFF_TOPIC = "off_topic"
    BOILERPLATE = "boilerplate"
    COPIED = "copied"
    TOO_SHORT = "too_short"
    NO_ACTION = "no_action"
    NO_TIME = "no_time"
    NO_BASIS = "no_basis"
    IMPOLITE = "impolite"
    PERSONAL_DATA = "personal_data"
    NO_ADDRESS = "no_address"
    CATEGORY_DISAGREES = "category_disagrees"
    NO_CALLBACK = "no_callback"


class GeoAccuracy(StrEnum):
    """How exact a case's point is: a position or named place, a street's centre, a
    district's centre."""

    EXACT = "exact"
    STREET = "street"
    DISTRICT = "district"


class PlaceKind(StrEnum):
    """What an imported place is: an area with an outline, or a point."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    LANDMARK = "landmark"
    ROAD = "road"


LABELS_ZH: dict[str, str] = {
    "agent": "话务员", "department": "承办单位", "supervisor": "督办员", "admin": "管理员",
    "disabled": "已停用", "locked": "登录已锁定", "must_change_password": "待修改密码",
    "new_year": "元旦", "spring_festival": "春节", "tomb_sweeping": "清明", "labour_day": "劳动节",
    "dragon_boat": "端午", "national_day": "国庆节",
    "registered": "已登记", "dispatched": "待签收", "in_progress": "办理中",
    "replied": "待回访", "closed": "已办结", "merged": "已并单",
    "phone": "电话", "mailbox": "市长信箱", "email": "电子邮件", "wechat": "微信",
    "sms": "短信", "webchat": "网页在线", "api": "系统接口",
    "consultation": "咨询", "help": "求助", "complaint": "投诉", "report": "举报",
    "suggestion": "建议", "praise": "表扬",
    "normal": "一般", "urgent": "紧急",
    "satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意",
    "not_rated": "未评价",
    "draft": "草稿", "in_review": "待审核", "published": "已发布", "expired": "已过期",
    "withdrawn": "已撤回",
    "info": "提示", "warning": "注意", "serious": "严重",
    # outbound messages (the event-push delivery log)
    "pending": "待发送", "sending": "发送中", "sent": "已送达", "dead": "已放弃",
}


class InspectionTarget(StrEnum):
    """What a quality inspection looks at: a department's reply or an agent's record."""

    REPLY = "reply"
    RECORD = "record"
