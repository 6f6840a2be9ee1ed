"""Routing suggestions: the centre's rules, the trained model and the gazetteer together.

The model (``classifier`` package) ranks categories; the rules the centre controls can force
a category or department and flag emergencies; the gazetteer (:mod:`routing`) finds the
district for 属地 routing. Below the confidence threshold, or when rules of equal rank
name different categories or departments, nothing is dispatched automatically: the case
waits for an agent. Every time a person chooses differently, the
correction is recorded (:mod:`corrections`, below the case lifecycle) and feeds the next
training.

This module sits *above* :mod:`hotline.services.cases`: auto-dispatch acts on a case. It
holds the model registry and training steps too; nothing here commits. Training a version
takes three transactions (record it, then record how it ended), which the job or command
sequences: see ``workflows/retrain.py``.
"""

from __future__ import annotations

import logging
import threading
import time as clock
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from hotline.errors import Conflict, NotFound
from hotline.extensions import db
from hotline.models import (
    Case,
    CaseStatus,
    Category,
    ClassifierModel,
    ModelSource,
    ModelStatus,
    utcnow,
)
from hotline.services import cases, directory, routing
from hotline.services.actors import Actor
from hotline.unit_of_work import after_commit

log = logging.getLogger(__name__)
ACTIVATABLE = frozenset({ModelStatus.READY, ModelStatus.RETIRED, ModelStatus.ACTIVE})
CHECK_ACTIVE_EVERY = 30.0  # seconds between looks at which model version is active
_lock = threading.Lock()
_loaded: dict[str, Any] = {"version": None, "model": None, "checked": 0.0}


@dataclass(frozen=True)
class CategoryOption:
    code: str
    name: str
    score: float


@dataclass
class Suggestion:
    """Where a request should go, how sure we are, and whether it is an emergency."""

    categories: list[CategoryOption] = field(default_factory=list)
    category: str | None = None
    department: str | None = None
    department_name: str | None = None
    district: str | None = None
    street: str | None = None
    emergency: dict[str, Any] | None = None
    forced_by_rule: bool = False
    # The centre's rules of equal rank point different ways: a person decides (no auto-dispatch).
    rule_conflict: bool = False
    confident: bool = False
    model_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- loading

def models_dir() -> Path:
    """The folder trained versions are saved in (created on first use)."""
    path = Path(current_app.config.get("MODEL_DIR") or
                Path(current_app.config["INSTANCE_PATH"]) / "models")
    path.mkdir(parents=True, exist_ok=True)
    return path


def active_record() -> ClassifierModel | None:
    """The version marked active, or None before any model is trained."""
    return db.session.scalars(select(ClassifierModel).where(
        ClassifierModel.status == ModelStatus.ACTIVE)).first()


def current_model():
    """The active model, loaded once per process and reloaded when another is activated."""
    now = clock.monotonic()
    if _loaded["model"] is not None and now - _loaded["checked"] < CHECK_ACTIVE_EVERY:
        return _loaded["model"]
    record = active_record()
    _loaded["checked"] = now
    if record is None or record.path is None:
        _loaded.update(version=None, model=None)
        return None
    if record.version != _loaded["version"]:
        with _lock:
            if record.version != _loaded["version"]:
                _loaded.update(version=record.version, model=_load(record.path))
    return _loaded["model"]


def model_file(path: str) -> Path:
    """Where a stored model path points: relative to the models folder (an absolute path,
    as versions before relative paths stored, is used as it is)."""
    return models_dir() / path


def _load(path: str):
    from classifier import ModelLoadError, load_model

    try:
        return load_model(str(model_file(path)))
    except ModelLoadError as exc:
        log.error("active model %s cannot be loaded: %s", path, exc)
        return None


def forget_loaded_model() -> None:
    """Drop the loaded model so the next suggestion loads the active one again."""
    _loaded.update(version=None, model=None, checked=0.0)


def preload() -> None:
    """Load jieba, the model, the rules and the gazetteer now (a worker parent calls this)."""
    current_model()
    rules()
    routing.locate(None, "")


def rules():
    """The centre's keyword and emergency rules."""
    return _rules(rules_path())


def rules_path() -> str:
    """The centre's rule file: the configured one, else the one shipped with the classifier."""
    configured = current_app.config.get("CLASSIFIER_RULES")
    if configured:
        return configured
    import classifier

    return str(Path(classifier.__file__).parent / "data" / "rules.json")


@lru_cache(maxsize=4)
def _rules(path: str):
    from classifier.rules import RuleSet

    return RuleSet.load(path)


# ---------------------------------------------------------------- suggesting

def suggest(text: str, address: str | None = None, *, k: int = 3) -> Suggestion:
    """Rank categories for a request and resolve its department and place."""
    result = Suggestion()
    text = text or ""
    rule = rules().apply(text) if text.strip() else None
    model = current_model()
    if model is not None and text.strip():
        names = directory.category_names()
        result.categories = [CategoryOption(code, names.get(code, code), round(score, 4))
                             for code, score in model.suggest(text, k=k)]
        result.model_version = _loaded["version"]
    if rule is not None and rule.emergency is not None:
        result.emergency = {"kind": rule.emergency.kind, "transfer_to": rule.emergency.transfer_to,
                            "matched": rule.emergency.matched}
    result.category = (rule.category if rule and rule.category else
                       result.categories[0].code if result.categories else None)
    result.forced_by_rule = bool(rule and (rule.category or rule.department))
    result.rule_conflict = bool(rule and rule.conflict)
    _resolve_place_and_department(result, text, address, rule)
    threshold = current_app.config["CLASSIFIER_THRESHOLD"]
    top = result.categories[0].score if result.categories else 0.0
    result.confident = (result.department is not None and not result.rule_conflict
                        and (result.forced_by_rule or top >= threshold))
    return result


def for_form(content: str, address: str | None, *, chosen: str | None,
             emergency_text: Callable[[dict], str]) -> dict[str, Any]:
    """What an intake form (console, chat→case) shows while the agent types: the top three
    categories always; the category and department to fill in (``prefill``) only when the
    suggestion is at or above the auto-dispatch threshold, or follows from the category the
    agent chose. Below it the agent chooses."""
    suggestion = suggest(content, address)
    if chosen:
        category = directory.active_category(chosen)
        department = routing.department_for(category, suggestion.district) if category else None
    else:
        department = (directory.active_department(suggestion.department)
                      if suggestion.department else None)
    prefill = bool(chosen) or suggestion.confident
    emergency = suggestion.emergency
    return {
        "categories": [{"code": c.code, "name": c.name, "score": c.score}
                       for c in suggestion.categories],
        "suggested_category": suggestion.category,
        "suggested_department": suggestion.department,
        "prefill": prefill,
        "category": suggestion.category if suggestion.confident and not chosen else None,
        "department": department.code if department and prefill else None,
        "department_name": department.name if department else None,
        "district": suggestion.district,
        "street": suggestion.street,
        "emergency": emergency_text(emergency) if emergency else None,
    }


def _resolve_place_and_department(result: Suggestion, text: str, address: str | None,
                                  rule) -> None:
    place = routing.locate(address, text)
    if place is not None:
        result.district, result.street = place.district, place.street
    department = None
    if rule is not None and rule.department:
        department = directory.active_department(rule.department)
    if department is None and result.category:
        department = routing.department_for(directory.active_category(result.category),
                                            result.district)
    if department is not None:
        result.department, result.department_name = department.code, department.name


def auto_dispatch(case: Case) -> bool:
    """Dispatch a mailbox or chat case when the suggestion is confident; else leave it
    registered for an agent (the manual-routing queue). Returns whether it was dispatched.

    The dispatch runs in a savepoint of the caller's transaction: if it fails, only the
    dispatch is undone and the registered case stays for the caller to commit."""
    if case.status != CaseStatus.REGISTERED:
        return False
    suggestion = suggest(case.content, case.address)
    if not suggestion.confident:
        return False
    params = {"department": suggestion.department, "category": suggestion.category,
              "note": f"智能分派（模型 {suggestion.model_version or '规则'}）"}
    with db.session.begin_nested():
        cases.perform(Actor.system("智能分派"), case.number, "dispatch", params)
    return True


# ---------------------------------------------------------------- training and versions

def training_data_from_cases() -> tuple[list[str], list[str]]:
    """Finished cases with their final category (after every correction) as the label."""
    rows = db.session.execute(
        select(Case.title, Case.content, Category.code)
        .join(Category, Case.category_id == Category.id)
        .where(Case.status == CaseStatus.CLOSED)).all()
    return [f"{title}。{content}" for title, content, _ in rows], [code for *_, code in rows]


def starter_corpus_path() -> str:
    """The starter corpus shipped with the classifier, for a fresh installation."""
    import classifier

    return str(Path(classifier.__file__).parent / "data" / "starter_corpus.csv")


def start_training(source: ModelSource, n_samples: int, *,
                   job_id: str | None = None) -> ClassifierModel:
    """Record a new version as being trained (the caller commits it before training, so
    a training that fails or dies is still seen on the models page)."""
    version = utcnow().strftime("%Y%m%dT%H%M%S%f")
    record = ClassifierModel(version=version, source=source, status=ModelStatus.TRAINING,
                             n_samples=n_samples, job_id=job_id)
    db.session.add(record)
    db.session.flush()
    return record


def fit_version(version: str, texts: list[str], labels: list[str], *,
                progress=None) -> tuple[str, dict]:
    """Train a model and save it beside the others; returns its path and metrics. Touches
    no database, so it runs outside any transaction (it takes seconds to minutes)."""
    from classifier import train_model

    _progress(progress, 10, "training")
    model = train_model(texts, labels)
    _progress(progress, 80, "saving")
    name = f"{version}.joblib"
    model.save(str(models_dir() / name))
    # Stored relative to the models folder, so a restored or moved instance finds it.
    return name, dict(model.metadata.get("metrics") or {})


def training_failed(record_id: int, error: Exception) -> ClassifierModel:
    """Mark a version whose training failed; the active model stays as it was."""
    record = db.session.get(ClassifierModel, record_id)
    record.status, record.error = ModelStatus.FAILED, str(error)
    return record


def training_succeeded(record_id: int, path: str, metrics: dict, *,
                       activate: bool = False) -> ClassifierModel:
    """Mark a trained version ready, or active when asked."""
    record = db.session.get(ClassifierModel, record_id)
    record.path, record.status, record.metrics = path, ModelStatus.READY, metrics
    if activate:
        activate_version(record.version)
    return record


def _progress(progress, percent: int, stage: str) -> None:
    if progress is not None:
        progress(percent, stage)


def activate_version(version: str) -> ClassifierModel:
    """Make a trained version the active one (also how an admin rolls back); this process
    reloads the model once the change is committed."""
    record = db.session.scalars(select(ClassifierModel).where(
        ClassifierModel.version == version)).first()
    if record is None:
        raise NotFound("模型版本 {version} 不存在", version=version)
    if record.status not in ACTIVATABLE or record.path is None:
        raise Conflict("模型版本 {version} 不可启用（状态：{status}）", version=version,
                       status=record.status)
    for other in db.session.scalars(select(ClassifierModel).where(
            ClassifierModel.status == ModelStatus.ACTIVE, ClassifierModel.id != record.id)):
        other.status = ModelStatus.RETIRED
    record.status, record.activated_at = ModelStatus.ACTIVE, utcnow()
    after_commit(forget_loaded_model, key="forget_loaded_model")
    return record


def versions(limit: int = 20) -> list[ClassifierModel]:
    """The most recent trained versions, newest first (the models page)."""
    return list(db.session.scalars(select(ClassifierModel).order_by(
        ClassifierModel.id.desc()).limit(limit)))


def starter_training_data() -> tuple[list[str], list[str]] | None:
    """The shipped starter corpus when no model is active yet (else None): what a fresh
    installation trains first."""
    if active_record() is not None:
        return None
    from classifier import read_training_csv

    return read_training_csv(starter_corpus_path())


def last_trained_at() -> datetime | None:
    """When the newest version was started, or None."""
    return db.session.scalar(select(func.max(ClassifierModel.created_at)))
