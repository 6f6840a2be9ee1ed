"""Small factories for tests: a world of departments, categories, users and tokens."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from hotline.services import directory, sla
from hotline.unit_of_work import unit_of_work

PASSWORD = "Kestrel-lamp-river-72"


def seed_reference_data() -> None:
    """What ``hotline init-db`` seeds: default time limits and the official calendar."""
    with unit_of_work():
        sla.seed_default_policies()
        sla.seed_official_calendar()


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)


USERS = (
    ("agent", "agent", None),
    ("supervisor", "supervisor", None),
    ("admin", "admin", None),
    ("urban", "department", "URBAN"),
    ("urban2", "department", "URBAN"),
    ("housing", "department", "HOUSING"),
    ("jinjiang", "department", "JINJIANG"),
)


def make_world() -> World:
    """Three departments, two categories, a user of each role, a token for each user."""
    with unit_of_work():
        return _make_world()


def _make_world() -> World:
    directory.add_department("URBAN", "市城市管理委员会")
    directory.add_department("HOUSING", "市住房和城乡建设局")
    directory.add_department("JINJIANG", "锦江区人民政府", district="锦江区")
    directory.add_category("city_mgmt", "城市管理")
    directory.add_category("street_vending", "占道经营", parent="city_mgmt", department="URBAN",
                           local_routing=True)
    directory.add_category("property_mgmt", "物业管理", department="HOUSING")
    world = World()
    for username, role, dept in USERS:
        directory.add_user(username, role=role, password=PASSWORD, department=dept,
                           display_name=f"{username}-name")
        world.tokens[username] = directory.create_token(username)
    return world


class ApiCaller:
    """``api("agent").post("/api/v1/cases", json=...)`` with the user's bearer token."""

    def __init__(self, client, world: World) -> None:
        self._client = client
        self._world = world

    def __call__(self, username: str) -> _Bound:
        return _Bound(self._client, self._world.tokens[username])

    def create_case(self, username: str = "agent", **fields: Any) -> dict:
        body = {"channel": "phone", "content": "书院街路口每天早上占道卖菜，车都过不去",
                "citizen": {"name": "陈先生", "phone": "13800001111"}, **fields}
        response = self(username).post("/api/v1/cases", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


class _Bound:
    def __init__(self, client, token: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **kwargs):
        return self._client.get(url, headers=self._headers, **kwargs)

    def post(self, url: str, **kwargs):
        return self._client.post(url, headers=self._headers, **kwargs)

    def delete(self, url: str, **kwargs):
        return self._client.delete(url, headers=self._headers, **kwargs)

    def act(self, number: str, action: str, **body: Any):
        return self._client.post(f"/api/v1/cases/{number}/{action}", headers=self._headers,
                                 json=body)


#: street offices (街道办事处) under the world's district government, with a user each
STREETS = (("JINJIANG-CHUNXI", "春熙路街道办事处", "chunxi"),
           ("JINJIANG-SHUYUAN", "书院街街道办事处", "shuyuan"))


def add_streets(world: World) -> World:
    """Give 锦江区人民政府 (JINJIANG) two street offices and a user and token for each."""
    with unit_of_work():
        for code, name, username in STREETS:
            directory.add_department(code, name, parent="JINJIANG", district="锦江区")
            directory.add_user(username, role="department", password=PASSWORD,
                               department=code, display_name=f"{username}-name")
            world.tokens[username] = directory.create_token(username)
    return world


def worker_environment(app, **settings: str) -> dict[str, str]:
    """The environment of a real ``hotline worker`` process beside the test app: the app's
    database, Redis and instance, quiet hours off as in the test app (so no test depends on
    the hour it runs at), ``settings`` as ``HOTLINE_<NAME>`` on top."""
    env = {**os.environ,
           "HOTLINE_DATABASE_URL": app.config["DATABASE_URL"],
           "HOTLINE_REDIS_URL": app.config["REDIS_URL"],
           "HOTLINE_INSTANCE_PATH": app.config["INSTANCE_PATH"],
           "HOTLINE_SECRET_KEY": "test-secret",
           "HOTLINE_SMS_QUIET_HOURS": "off",
           "HOTLINE_LOG_LEVEL": "WARNING"}
    env.update({f"HOTLINE_{name}": value for name, value in settings.items()})
    env.pop("PYTHONTRACEMALLOC", None)  # a traced worker is too slow for the waits here
    return env
