"""Typed models, split by aggregate; importing this package registers every table."""

from hotline.models.base import Base, utcnow
from hotline.models.case import Case, CaseEvent, CaseNumberCounter, Citizen
from hotline.models.enums import (
    OPEN_STATUSES,
    CaseStatus,
    Channel,
    RequestType,
    Role,
    Satisfaction,
    Urgency,
)
from hotline.models.org import Category, Department
from hotline.models.outbox import Notification, OutboxMessage
from hotline.models.sla import CalendarDay, SlaPolicy
from hotline.models.user import ApiToken, User

__all__ = [
    "OPEN_STATUSES", "ApiToken", "Base", "CalendarDay", "SlaPolicy", "Case", "CaseEvent",
    "CaseNumberCounter", "CaseStatus", "Category", "Channel", "Citizen", "Department",
    "Notification", "OutboxMessage", "RequestType", "Role", "Satisfaction", "Urgency", "User",
    "utcnow",
]
