"""The per-process token cache: a token seen once costs no token query, and any change that
takes a token's right away (revocation, deactivation, a new role) holds on the next request."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from hotline.extensions import db
from hotline.models import ApiToken, Role, utcnow
from hotline.services import directory
from hotline.unit_of_work import unit_of_work


def _get(client, token):
    return client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})


def _get_seeing_sql(client, token, app) -> list[str]:
    """GET with the token (which must succeed); the SQL statements the request sent."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert _get(client, token).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return seen


def test_a_known_token_is_not_read_again(client, world, app):
    token = world.tokens["agent"]
    assert _get(client, token).status_code == 200
    seen = _get_seeing_sql(client, token, app)
    assert not [s for s in seen if "api_token" in s]
    assert [s for s in seen if "cache_generation" in s]


def test_a_token_revoked_after_use_fails_the_next_request(client, world):
    token = world.tokens["agent"]
    assert _get(client, token).status_code == 200
    with unit_of_work():
        assert directory.revoke_token(token[:10]) == 1
    assert _get(client, token).status_code == 401


def test_a_user_deactivated_after_use_fails_the_next_request(client, world):
    token = world.tokens["agent"]
    assert _get(client, token).status_code == 200
    with unit_of_work():
        directory.set_user_active("agent", False)
    assert _get(client, token).status_code == 401


def test_a_new_role_holds_on_the_next_request(client, world):
    token = world.tokens["agent"]
    body = {"content": "路灯不亮"}
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 201
    with unit_of_work():
        user = directory.user_by_username("agent")
        user.role = Role.DEPARTMENT
        user.department_id = directory.department_by_code("URBAN").id
    assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 403


def test_an_unrelated_user_change_keeps_the_cache(client, world, app):
    token = world.tokens["agent"]
    assert _get(client, token).status_code == 200
    with unit_of_work():
        directory.user_by_username("urban").must_change_password = True
    seen = _get_seeing_sql(client, token, app)
    assert not [s for s in seen if "api_token" in s]


@pytest.mark.committing
def test_a_revocation_committed_by_another_process_is_seen_at_once(client, world, app):
    """Revoked on a connection of its own (the CLI, another gunicorn worker)."""
    token = world.tokens["agent"]
    assert _get(client, token).status_code == 200
    with app.app_context(), Session(db.engine) as other:
        other.execute(update(ApiToken).where(ApiToken.token_hash == ApiToken.digest(token))
                      .values(revoked_at=utcnow()))
        # a bulk UPDATE skips the ORM's flush: raise the counter as a revoking tool must
        from hotline.services import freshness

        freshness.raise_generation(other, freshness.TOKENS)
        other.commit()
        assert other.scalar(select(ApiToken.revoked_at).where(
            ApiToken.token_hash == ApiToken.digest(token))) is not None
    assert _get(client, token).status_code == 401


@pytest.mark.committing
def test_revoke_token_from_another_session_is_seen_at_once(client, world, app):
    token = world.tokens["agent"]
    assert _get(client, token).status_code == 200
    with app.app_context(), Session(db.engine) as other:
        row = other.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.digest(token)))
        row.revoked_at = row.created_at
        other.commit()
    assert _get(client, token).status_code == 401
