"""Typed models, split by aggregate; importing this package registers every table."""

from hotline.models import case_search  # noqa: F401  (registers the search index's DDL)
from hotline.models.audit import PersonalDataRead
from hotline.models.base import Base, utcnow
from hotline.models.case import Case, CaseEvent, CaseNumberCounter, Citizen, case_assist
from hotline.models.channel import (
    Attachment,
    ChatMessage,
    Conversation,
    InboundMessage,
    MailCursor,
)
from hotline.models.enums import (
    OPEN_STATUSES,
    SETTLED_STATUSES,
    UNSETTLED_STATUSES,
    AccountState,
    CalendarKind,
    CaseAction,
    CaseStatus,
    Channel,
    ChatAuthor,
    ConversationStatus,
    CorrectionSource,
    DayKind,
    DaySource,
    GeoAccuracy,
    InboundStatus,
    InspectionTarget,
    MailboxKind,
    ModelSource,
    ModelStatus,
    NoticeKind,
    OutboxStatus,
    PlaceKind,
    RequestType,
    Role,
    Satisfaction,
    Urgency,
)
from hotline.models.generation import CacheGeneration
from hotline.models.heartbeat import Heartbeat
from hotline.models.idempotency import IdempotentRequest
from hotline.models.inspection import InspectionSample, QualityResult, RubricItem, SentWarning
from hotline.models.kb import ArticleStatus, KbArticle, KbRevision, KbState, KbSynonym, KbUse
from hotline.models.leader import LeaderMailbox
from hotline.models.notice import NoticeSetting, TrackCode
from hotline.models.org import Category, Department
from hotline.models.outbox import Notification, OutboxMessage
from hotline.models.place import Place
from hotline.models.routing import ClassifierModel, RoutingCorrection
from hotline.models.sla import CalendarDay, SlaPolicy
from hotline.models.stats import StatsDaily, StatsMonthly, StatsState
from hotline.models.user import ApiToken, User
from hotline.models.webhook import WebhookSubscription

__all__ = [
    "ClassifierModel", "RoutingCorrection",
    "Attachment", "ChatMessage", "Conversation", "InboundMessage", "MailCursor",
    "OPEN_STATUSES", "SETTLED_STATUSES", "UNSETTLED_STATUSES",
    "AccountState", "ApiToken", "Base", "CalendarDay", "SlaPolicy", "Case",
    "CaseEvent", "CaseNumberCounter", "CaseStatus", "case_assist",
    "Category", "Channel", "Citizen", "Department", "Notification", "OutboxMessage",
    "RequestType", "Role", "Satisfaction", "StatsDaily", "StatsMonthly", "StatsState",
    "Urgency", "User", "utcnow", "IdempotentRequest", "Heartbeat",
    "ArticleStatus", "KbArticle", "KbRevision", "KbState", "KbSynonym", "KbUse",
    "CalendarKind", "CaseAction", "ChatAuthor", "ConversationStatus", "CorrectionSource",
    "DayKind", "DaySource", "InboundStatus", "ModelSource", "ModelStatus", "OutboxStatus",
    "PersonalDataRead", "NoticeKind",
    "InspectionSample", "InspectionTarget", "QualityResult", "RubricItem", "SentWarning",
    "NoticeSetting", "TrackCode",
    "LeaderMailbox", "MailboxKind",
    "WebhookSubscription", "CacheGeneration",
    "GeoAccuracy", "Place", "PlaceKind",
]
