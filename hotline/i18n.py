"""Interface language: Chinese (zh_CN) is the source text, English a translation of it.

Message ids are the Chinese strings themselves, so templates and services read naturally
and a missing English entry falls back to Chinese rather than to a key. The English
catalogue is ``translations/en.json``; a test checks that every message id has an entry.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, g, has_request_context, request

from hotline.duration import Duration
from hotline.models.enums import LABELS_ZH

LANGUAGES = ("zh_CN", "en")
CATALOGUE_DIR = Path(__file__).parent / "translations"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations for a language (empty for Chinese, the source)."""
    if lang == "zh_CN":
        return {}
    return json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def current_language() -> str:
    """The language of this request: ``?lang=``, then the cookie, then the default.

    API clients may ask for English with ``Accept-Language: en``.
    """
    if not has_request_context():
        return current_app.config.get("LANGUAGE", "zh_CN")
    if "lang" not in g:
        g.lang = _pick_language()
    return g.lang


def known_language(value: object) -> str | None:
    """One of :data:`LANGUAGES` for a language tag (``en``, ``en-GB``, ``zh-CN``, ``zh_CN``),
    or None for anything else."""
    tag = str(value or "").strip().replace("-", "_").lower()
    if tag == "en" or tag.startswith("en_"):
        return "en"
    if tag == "zh" or tag.startswith("zh_"):
        return "zh_CN"
    return None


def asked_language() -> str | None:
    """The language this request asked for (``?lang=``, the cookie, ``Accept-Language``),
    or None when it asked for none: what is recorded as a citizen's choice."""
    if not has_request_context():
        return None
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    return known_language(request.accept_languages.best_match(["zh", "en"]))


def _pick_language() -> str:
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return asked
    if request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh", "en"])
        if best == "en":
            return "en"
    return current_app.config.get("LANGUAGE", "zh_CN")


def gettext(message: str, **params: Any) -> str:
    """Translate a Chinese message id into the current language and fill its placeholders."""
    text = catalogue(current_language()).get(message, message)
    if params:
        try:
            # only vocabulary placeholders are labels; user data (names, codes) stays as given
            text = text.format(**{k: _param(k, v) for k, v in params.items()})
        except (KeyError, IndexError):
            text = message
    return text


_ = gettext

LABELLED_PARAMS = frozenset({"status", "action", "field", "kind"})

#: a duration in words, by unit: working days and hours on the work calendar
DURATION_WORDS = {"d": "{n} 个工作日", "h": "{n} 个工作小时", "m": "{n} 分钟"}


def _param(key: str, value: Any) -> Any:
    if isinstance(value, Duration):
        return duration_words(value)
    return label(value) if key in LABELLED_PARAMS else value


#: the names the system and the citizen act under in a case's timeline (Actor.system/citizen)
ACTOR_NAMES_ZH = {"系统": "系统", "市民": "市民", "智能分派": "智能分派",
                  "知识库导入": "知识库导入", "知识库示例": "知识库示例"}


def actor_name(actor_label: str | None, user_id: int | None) -> str:
    """Who acted, for a timeline: a person's name as given; the system's and the citizen's
    names in the current language."""
    if user_id is None and actor_label in ACTOR_NAMES_ZH:
        return gettext(ACTOR_NAMES_ZH[actor_label])
    return actor_label or ""


def age_words(seconds: float) -> str:
    """How long ago, in the current language: minutes, hours or days (“3 小时前”)."""
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return gettext("{n} 分钟前", n=minutes)
    if minutes < 48 * 60:
        return gettext("{n} 小时前", n=minutes // 60)
    return gettext("{n} 天前", n=minutes // (24 * 60))


def duration_words(duration: Duration) -> str:
    """A time limit such as ``2d`` in words of the current language (“2 个工作日”), never
    the raw code."""
    return gettext(DURATION_WORDS[duration.unit], n=duration.amount)


_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


def in_page_language(text: str | None) -> str:
    """A message the classifier library writes in both languages ("中文 / English", for its
    command line) cut to the page's language: the " / "-separated parts written in Chinese
    on a Chinese page, the others on an English one. A message in one language is kept."""
    parts = (text or "").split(" / ")
    if len(parts) < 2:
        return text or ""
    chinese = current_language().startswith("zh")
    kept = [part for part in parts if bool(_CJK.search(part)) == chinese]
    return " / ".join(kept) if kept else text or ""


def label(value: Any) -> str:
    """The display label of an enum value or action name (状态、渠道、类型...)."""
    key = getattr(value, "value", value)
    if not isinstance(key, str):
        return str(value)
    zh = LABELS_ZH.get(key) or ACTION_LABELS_ZH.get(key) or EMERGENCY_LABELS_ZH.get(key)
    if zh is None:
        return key
    return catalogue(current_language()).get(zh, zh)


#: the kinds of emergency the shipped rules know (classifier/data/rules.json); a kind from an
#: admin's own rules file shows as written there
EMERGENCY_LABELS_ZH = {
    "fire": "火灾", "gas_leak": "燃气泄漏", "suicide": "有人轻生", "violence": "暴力伤害",
    "child_trapped": "儿童被困", "child_missing": "儿童走失", "medical": "急病受伤",
}

ACTION_LABELS_ZH = {
    "register": "登记", "dispatch": "派单", "accept": "签收", "return": "退单",
    "extend": "申请延期", "approve_extension": "批准延期", "reject_extension": "驳回延期",
    "reply": "答复", "resolve": "直接办结", "close": "办结", "supervise": "督办",
    "reopen": "重办", "merge": "并单", "merged_in": "并入工单", "feedback": "市民评价",
    "deadline_warning": "时限预警", "deadline_overdue": "已超时", "escalate": "自动督办",
    "forecast_warning": "风险预警",
    "followup_sent": "发送回访", "followup_reminded": "回访提醒",
    "followup_expired": "回访超时未评价",
    "recall": "收回",
    "content": "诉求内容", "title": "标题", "phone": "电话", "name": "姓名", "address": "地址",
    "department": "承办单位", "category": "分类", "type": "诉求类型", "urgency": "紧急程度",
    "channel": "渠道", "reason": "理由", "days": "延期天数", "note": "说明", "into": "主工单号",
    "satisfaction": "满意度", "comment": "意见", "code": "代码", "username": "用户名",
    "password": "密码", "role": "角色", "status": "状态", "contact": "联系方式",
    "limit": "条数", "cursor": "游标", "version": "版本",
    "training": "训练中", "ready": "待启用", "active": "启用中", "retired": "已停用",
    "failed": "失败", "starter": "初始语料", "cases": "已办结工单", "csv": "CSV 文件",
    "repeat": "重复来件", "supplement": "市民补充", "attachments": "附件", "answer": "验证答案",
    "submit": "提交审核", "publish": "发布", "reject": "退回修改", "approve_change": "采纳修改",
    "reject_change": "不采纳修改", "withdraw": "撤回", "expire": "设为过期", "applied": "修改",
    "proposed": "提议修改", "rejected": "未采纳", "superseded": "已采纳的提议",
    "questions": "相似问法", "kb_answer": "答复内容", "tags": "标签", "source": "依据",
    "effective_from": "生效日期", "expires_on": "失效日期", "review_on": "复核日期",
    "kb_article": "知识库文章", "words": "同义词", "file": "文件",
    "call_id": "通话编号", "caller": "来电号码", "recording": "录音", "after": "起始编号",
}
