"""Settings: typed parsing, clear errors, and every setting documented in the README."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from hotline.config import SETTINGS, ConfigError, load_settings, parse_boolean

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_need_no_environment():
    config = load_settings({})
    assert config["DATABASE_URL"] is None  # filled in with the instance's SQLite file
    assert config["OFFICE_HOURS"] == (time(9), time(18))
    assert config["CONTENT_MAX_CHARS"] == 5000


@pytest.mark.parametrize(("name", "value"), [
    ("HOTLINE_SCHEDULING", "maybe"),
    ("HOTLINE_CONTENT_MAX_CHARS", "lots"),
    ("HOTLINE_OFFICE_HOURS", "18:00-09:00"),
    ("HOTLINE_OFFICE_HOURS", "nine to five"),
    ("HOTLINE_TIMEZONE", "Mars/Olympus"),
    ("HOTLINE_LANGUAGE", "fr"),
    ("HOTLINE_RETURN_WINDOW", "2 days"),
    ("HOTLINE_WEBHOOK_ALLOWED_NETWORKS", "10.0.0.0/33"),
    ("HOTLINE_WEBHOOK_ALLOWED_NETWORKS", "intranet"),
    ("HOTLINE_WEBHOOK_ALLOWED_HOSTS", "http://oa.example/"),
])
def test_bad_values_stop_start_up_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_booleans_are_strict():
    assert parse_boolean("yes") is True
    assert parse_boolean("off") is False
    with pytest.raises(ConfigError):
        parse_boolean("maybe")


def test_every_setting_is_documented_in_the_readme():
    readme = README.read_text(encoding="utf-8")
    missing = [s.key for s in SETTINGS if f"`HOTLINE_{s.key}`" not in readme]
    assert missing == []


def test_readme_quick_start_has_exactly_two_commands():
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert commands == ["./dev.sh start", "./dev.sh test"]


def test_webhook_allow_lists_are_typed():
    config = load_settings({"HOTLINE_WEBHOOK_ALLOWED_NETWORKS": "10.20.0.0/16, 127.0.0.1",
                            "HOTLINE_WEBHOOK_ALLOWED_HOSTS": "OA.Dept.example."})
    assert [str(n) for n in config["WEBHOOK_ALLOWED_NETWORKS"]] == ["10.20.0.0/16",
                                                                  "127.0.0.1/32"]
    assert config["WEBHOOK_ALLOWED_HOSTS"] == frozenset({"oa.dept.example"})
    assert load_settings({})["WEBHOOK_ALLOWED_NETWORKS"] == ()
