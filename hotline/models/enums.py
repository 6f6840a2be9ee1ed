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


LABELS_ZH: dict[str, str] = {
    "agent": "话务员", "department": "承办单位", "supervisor": "督办员", "admin": "管理员",
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
}
