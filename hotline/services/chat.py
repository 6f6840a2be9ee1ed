"""Web chat (网页在线咨询): a citizen opens a conversation from the public pages, an agent
picks it up and answers, and may turn it into a case; both sides poll for new lines.

The citizen proves a conversation is theirs with a random token only their browser holds
(the database keeps its SHA-256); a wrong token answers like an unknown conversation.

Every change is written in the caller's transaction (the chat views open the unit of work).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import func, select, update

from hotline.errors import Conflict, NotFound
from hotline.extensions import db
from hotline.i18n import known_language
from hotline.models import ChatAuthor, ChatMessage, Conversation, ConversationStatus, utcnow
from hotline.services import gate, registration
from hotline.services.actors import Actor
from hotline.services.intake.process import auto_dispatch
from hotline.services.validation import optional_text, phone_number, required_text

MESSAGE_MAX = 1000
MAX_MESSAGES = 300
S = ConversationStatus
OPEN = (S.WAITING, S.ACTIVE)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(text: Any, name: Any, phone: Any, client: str, *,
          language: str | None = None) -> tuple[Conversation, str]:
    """Open a conversation with the citizen's first line; returns it and the secret token.
    ``language``: the page's, kept for the notices of the case the chat may become."""
    body = required_text(text, "content", max_chars=MESSAGE_MAX)
    name = optional_text(name, "name", max_chars=100)
    phone = phone_number(phone)
    gate.throttle_public("chat", client)
    token = secrets.token_urlsafe(24)
    now = utcnow()
    conversation = Conversation(public_id=secrets.token_hex(12), token_hash=_hash(token),
                                citizen_name=name, citizen_phone=phone, status=S.WAITING,
                                created_at=now, last_message_at=now,
                                language=known_language(language))
    db.session.add(conversation)
    db.session.flush()
    db.session.add(ChatMessage(conversation_id=conversation.id, author=ChatAuthor.CITIZEN,
                               body=body, created_at=now))
    return conversation, token


def for_citizen(public_id: str, token: str | None) -> Conversation:
    """The conversation if the token is its own; NotFound otherwise."""
    conversation = db.session.scalars(select(Conversation).where(
        Conversation.public_id == str(public_id))).first()
    if conversation is None or not token or not hmac.compare_digest(
            conversation.token_hash, _hash(token)):
        raise NotFound("会话不存在或已失效")
    return conversation


def get(conversation_id: int) -> Conversation:
    """A conversation for staff, or NotFound."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("会话不存在或已失效")
    return conversation


def _say(conversation: Conversation, author: ChatAuthor, body: str, *,
         actor: Actor | None = None) -> ChatMessage:
    count = db.session.scalar(select(func.count()).select_from(ChatMessage).where(
        ChatMessage.conversation_id == conversation.id)) or 0
    if count >= MAX_MESSAGES:
        raise Conflict("会话消息过多，请拨打12345热线")
    now = utcnow()
    line = ChatMessage(conversation_id=conversation.id, author=author, body=body,
                       user_id=actor.user_id if actor else None,
                       author_label=actor.label if actor else None, created_at=now)
    conversation.last_message_at = now
    db.session.add(line)
    return line


def citizen_says(conversation: Conversation, text: Any) -> ChatMessage:
    """Add the citizen's line (stored before the browser is answered)."""
    body = required_text(text, "content", max_chars=MESSAGE_MAX)
    if conversation.status not in OPEN:
        raise Conflict("会话已结束，如需继续咨询请重新发起")
    return _say(conversation, ChatAuthor.CITIZEN, body)


def lines(conversation: Conversation, after: int = 0) -> list[ChatMessage]:
    """The conversation's lines after the one with id ``after``, in order."""
    return list(db.session.scalars(
        select(ChatMessage).where(ChatMessage.conversation_id == conversation.id,
                                  ChatMessage.id > after)
        .order_by(ChatMessage.id).limit(500)))


def queue() -> list[Conversation]:
    """Open conversations for agents: waiting ones first, then the most recently active."""
    return list(db.session.scalars(
        select(Conversation).where(Conversation.status.in_(OPEN))
        .order_by(Conversation.status.desc(), Conversation.last_message_at.desc()).limit(200)))


def recent_closed(limit: int = 20) -> list[Conversation]:
    """The last conversations that ended."""
    return list(db.session.scalars(
        select(Conversation).where(Conversation.status == S.CLOSED)
        .order_by(Conversation.closed_at.desc()).limit(limit)))


def waiting_count() -> int:
    """Conversations nobody has picked up yet (for the navigation badge)."""
    return db.session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.status == S.WAITING)) or 0


def queue_state() -> dict[str, object]:
    """What the agents' pages poll: how many wait, and a mark that changes whenever the open
    queue does (a new conversation, a new line, one taken or closed)."""
    row = db.session.execute(select(
        func.count().filter(Conversation.status == S.WAITING), func.count(),
        func.max(Conversation.last_message_at), func.max(Conversation.id))
        .where(Conversation.status.in_(OPEN))).one()
    last = row[2].isoformat() if row[2] else ""
    return {"waiting": int(row[0] or 0), "mark": f"{row[1]}:{row[3]}:{last}"}


def take(actor: Actor, conversation_id: int) -> Conversation:
    """An agent picks up a waiting conversation (one agent wins if two click at once)."""
    conversation = get(conversation_id)
    result = db.session.execute(
        update(Conversation).where(Conversation.id == conversation_id,
                                   Conversation.status == S.WAITING)
        .values(status=S.ACTIVE, agent_id=actor.user_id)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该会话已由其他话务员接待")
    _say(conversation, ChatAuthor.SYSTEM, f"{actor.label} 为您服务")
    db.session.flush()
    db.session.refresh(conversation)
    return conversation


def agent_says(actor: Actor, conversation_id: int, text: Any) -> ChatMessage:
    """An agent answers; answering a waiting conversation picks it up."""
    conversation = get(conversation_id)
    body = required_text(text, "content", max_chars=MESSAGE_MAX)
    if conversation.status == S.WAITING:
        conversation = take(actor, conversation_id)
    if conversation.status != S.ACTIVE:
        raise Conflict("会话已结束")
    return _say(conversation, ChatAuthor.AGENT, body, actor=actor)


def close(actor: Actor, conversation_id: int) -> Conversation:
    """End a conversation; the citizen sees that it ended."""
    conversation = get(conversation_id)
    if conversation.status == S.CLOSED:
        return conversation
    conversation.status = S.CLOSED
    conversation.closed_at = utcnow()
    _say(conversation, ChatAuthor.SYSTEM, "本次会话已结束，感谢您的咨询")
    return conversation


def to_case(actor: Actor, conversation_id: int, fields: dict[str, Any]):
    """Register a case from the conversation in the caller's transaction; the citizen sees its
    number and query code in the chat, written in the same transaction as the case."""
    conversation = get(conversation_id)
    if conversation.case_id is not None:
        raise Conflict("该会话已登记为工单 {number}", number=conversation.case.number)
    new = registration.NewCase(
        content=fields.get("content"), channel="webchat", title=fields.get("title"),
        citizen_name=fields.get("name"), citizen_phone=fields.get("phone"),
        address=fields.get("address"), request_type=fields.get("type") or None,
        category=fields.get("category") or None, department=fields.get("department") or None,
        external_ref=f"chat:{conversation.public_id}", language=conversation.language)
    case = registration.register_case(actor, new)
    auto_dispatch(case)
    result = db.session.execute(
        update(Conversation).where(Conversation.id == conversation_id,
                                   Conversation.case_id.is_(None))
        .values(case_id=case.id).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该会话已登记为工单")
    _say(conversation, ChatAuthor.SYSTEM, f"已为您登记工单，工单号 {case.number}，查询码 "
                                 f"{case.query_code}。可在首页输入工单号和查询码查看办理进度。")
    db.session.flush()
    db.session.refresh(conversation)
    return case


def transcript(conversation: Conversation) -> str:
    """The citizen's lines joined, to prefill a case."""
    return "\n".join(line.body for line in lines(conversation)
                     if line.author == ChatAuthor.CITIZEN)
