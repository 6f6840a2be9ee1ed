"""Typed settings: one set of parsers for the environment and a test's mapping, hermetic
test apps, production refusals and gateway knobs checked at start-up."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from hotline.app import create_app
from hotline.config import (
    ConfigError,
    load_settings,
    parse_clock,
    parse_duration,
    parse_log_level,
    parse_office_hours,
    parse_pairs,
    parse_path,
    parse_seconds,
    settings_from_mapping,
)
from hotline.duration import Duration
from tests.conftest import app_config


@pytest.fixture(autouse=True)
def _shell_says_five(monkeypatch):
    """A developer's shell limits requests to 5 characters, before any app is built."""
    monkeypatch.setenv("HOTLINE_CONTENT_MAX_CHARS", "5")


def test_a_test_mapping_ignores_the_environment(tmp_path, redis_url, monkeypatch):
    monkeypatch.setenv("HOTLINE_LOG_LEVEL", "not-a-level")  # would stop any app reading it
    app = create_app(app_config(tmp_path, redis_url))
    assert app.config["CONTENT_MAX_CHARS"] == 5000
    with pytest.raises(ConfigError, match="HOTLINE_LOG_LEVEL"):
        load_settings()  # the environment itself is read when no mapping is given


def test_registration_accepts_long_text_whatever_the_shell_says(api):
    text = "路灯不亮已经三天了，请尽快修理"
    response = api("agent").post("/api/v1/cases", json={"content": text})
    assert response.status_code == 201, response.get_json()


def test_mapping_values_go_through_the_same_parsers():
    typed = settings_from_mapping({"CONTENT_MAX_CHARS": 7, "RETURN_WINDOW": Duration(3, "d"),
                                   "OFFICE_HOURS": (time(8), time(17)), "SCHEDULING": False})
    strings = settings_from_mapping({"CONTENT_MAX_CHARS": "7", "RETURN_WINDOW": "3d",
                                     "OFFICE_HOURS": "08:00-17:00", "SCHEDULING": "false"})
    for key in ("CONTENT_MAX_CHARS", "RETURN_WINDOW", "OFFICE_HOURS", "SCHEDULING"):
        assert typed[key] == strings[key]
    assert typed["RETURN_WINDOW"] == Duration(3, "d")
    with pytest.raises(ConfigError, match="CONTENT_MAX_CHARS"):
        settings_from_mapping({"CONTENT_MAX_CHARS": "lots"})
    with pytest.raises(ConfigError, match="SCHEDULING"):
        settings_from_mapping({"SCHEDULING": "maybe"})


def test_values_are_typed_once():
    config = load_settings({})
    assert config["RETURN_WINDOW"] == Duration(2, "d")
    assert config["FOLLOWUP_WINDOW"] == Duration(72, "h")
    assert config["STATS_REFRESH_AT"] == time(1, 30)
    assert config["OFFICE_HOURS"] == (time(9), time(18))
    assert config["GATEWAY_TIMEOUT"] == 10.0 and config["SMS_GATEWAY_TIMEOUT"] is None
    assert config["LOG_LEVEL"] == "INFO" and config["ENV"] == "development"
    env = load_settings({"HOTLINE_MODEL_DIR": "/srv/models", "HOTLINE_SMS_GATEWAY_TIMEOUT": "3"})
    assert env["MODEL_DIR"] == Path("/srv/models") and env["SMS_GATEWAY_TIMEOUT"] == 3.0


@pytest.mark.parametrize(("parse", "good", "expected", "bad"), [
    (parse_duration, "30m", Duration(30, "m"), "30 minutes"),
    (parse_duration, Duration(4, "h"), Duration(4, "h"), "0d"),
    (parse_clock, "1:30", time(1, 30), "25:00"),
    (parse_clock, time(2, 15), time(2, 15), 130),
    (parse_log_level, "warning", "WARNING", "LOUD"),
    (parse_seconds, "2.5", 2.5, "0"),
    (parse_pairs, "receipt=T1, survey=T2", {"receipt": "T1", "survey": "T2"}, "survey"),
    (parse_office_hours, (time(9), time(17)), (time(9), time(17)), (time(17), time(9))),
    (parse_path, "/srv/hotline", Path("/srv/hotline"), 5),
])
def test_every_parser_takes_its_value_and_refuses_a_bad_one(parse, good, expected, bad):
    assert parse(good) == expected
    with pytest.raises(ConfigError):
        parse(bad)


def test_production_refuses_embedded_defaults_naming_every_variable(tmp_path):
    with pytest.raises(ConfigError) as refused:
        create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    message = str(refused.value)
    assert "HOTLINE_REDIS_URL" in message and "HOTLINE_SECRET_KEY" in message
    assert "HOTLINE_INSTANCE_PATH" not in message


def test_production_refuses_an_instance_inside_the_virtualenv(monkeypatch, tmp_path):
    import sys

    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    with pytest.raises(ConfigError, match="HOTLINE_INSTANCE_PATH"):
        create_app({"ENV": "production", "REDIS_URL": "redis://127.0.0.1:6379/0",
                    "SECRET_KEY": "s", "INSTANCE_PATH": str(tmp_path / "var" / "instance")})


def test_production_starts_when_everything_is_set(tmp_path, redis_url):
    app = create_app({**app_config(tmp_path, redis_url), "ENV": "production"})
    assert app.config["ENV"] == "production"


def test_a_half_configured_gateway_stops_the_start_up(tmp_path, redis_url):
    with pytest.raises(ConfigError, match="SMS_GATEWAY_API_KEY"):
        create_app({**app_config(tmp_path, redis_url), "SMS_GATEWAY_URL": "http://sms"})
    app = create_app({**app_config(tmp_path, redis_url), "SMS_GATEWAY_URL": "http://sms",
                      "SMS_GATEWAY_API_KEY": "k", "SMS_GATEWAY_TIMEOUT": "2.5"})
    assert app.extensions["hotline.gateways"]["sms"].timeout == 2.5
