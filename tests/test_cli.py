"""The hotline command: set-up, accounts and tokens, with clear errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hotline.cli import main

pytestmark = pytest.mark.committing  # the command builds its own app and engine


@pytest.fixture
def cli(app, monkeypatch):
    """Run ``hotline ...`` against the test app's database."""
    for key in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH", "SECRET_KEY"):
        monkeypatch.setenv(f"HOTLINE_{key}", str(app.config[key]))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)
    return run


def test_department_user_and_token_from_the_command_line(cli, client):
    assert cli("department", "add", "URBAN", "市城市管理委员会").exit_code == 0
    result = cli("user", "add", "zhang", "--role", "department", "--department", "URBAN",
                 "--password", "long-enough-1")
    assert result.exit_code == 0, result.output
    result = cli("token", "create", "zhang")
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("hl_")
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert cli("token", "revoke", token[:10]).output.startswith("1 token")
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("args", [
    ("user", "add", "x", "--role", "department", "--password", "long-enough-1"),
    ("user", "add", "x", "--role", "agent", "--password", "short"),
    ("department", "add", "bad code", "名称"),
    ("department", "add", "A", "名称", "--parent", "NOPE"),
    ("token", "create", "nobody"),
    ("sla", "set", "x", "--accept", "soon", "--handle", "5d"),
])
def test_refusals_are_clear_errors(cli, args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code != 0
    assert "Error" in result.output
    assert "Traceback" not in result.output


def test_sla_set_replaces_the_policy_for_the_same_match(cli, app):
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import SlaPolicy

    cli("sla", "set", "投诉", "--urgency", "normal", "--type", "complaint", "--accept", "4h",
        "--handle", "7d")
    policies = db.session.scalars(select(SlaPolicy).where(
        SlaPolicy.request_type == "complaint")).all()
    assert [(p.accept, p.handle) for p in policies] == [("4h", "7d")]


def test_seed_demo_is_idempotent(cli):
    first = cli("seed-demo")
    assert "demo loaded" in first.output
    assert "already present" in cli("seed-demo").output
