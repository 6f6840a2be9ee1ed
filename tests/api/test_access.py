"""Who may see and do what: tokens, roles and departments."""

from __future__ import annotations

from hotline.services import directory


def test_no_token_is_401(client, world):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_bad_token_is_401(client, world):
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer hl_nope"})
    assert response.status_code == 401


def test_revoked_token_is_401(client, world, app):
    token = world.tokens["agent"]
    assert directory.revoke_token(token[:10]) == 1
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_deactivated_user_token_is_401(client, world):
    directory.set_user_active("agent", False)
    response = client.get("/api/v1/cases",
                          headers={"Authorization": f"Bearer {world.tokens['agent']}"})
    assert response.status_code == 401


def test_department_staff_cannot_register_cases(api):
    response = api("urban").post("/api/v1/cases", json={"content": "x"})
    assert response.status_code == 403


def test_department_sees_only_its_own_cases(api):
    mine = api.create_case(department="URBAN")["number"]
    theirs = api.create_case(department="HOUSING")["number"]
    unassigned = api.create_case()["number"]
    listed = {c["number"] for c in api("urban").get("/api/v1/cases").get_json()["items"]}
    assert listed == {mine}
    assert api("urban").get(f"/api/v1/cases/{theirs}").status_code == 404
    assert api("urban").get(f"/api/v1/cases/{unassigned}").status_code == 404
    assert api("urban2").get(f"/api/v1/cases/{mine}").status_code == 200
    everything = {c["number"] for c in api("supervisor").get("/api/v1/cases").get_json()["items"]}
    assert everything == {mine, theirs, unassigned}


def test_other_departments_case_page_is_404(client, auth, api):
    theirs = api.create_case(department="HOUSING")["number"]
    auth.login("urban")
    assert client.get(f"/cases/{theirs}").status_code == 404
    assert client.post(f"/cases/{theirs}/accept").status_code == 404


def test_pages_require_the_right_role(client, auth, world):
    assert client.get("/agent").status_code == 302  # to the login page
    auth.login("urban")
    assert client.get("/agent").status_code == 403
    assert client.get("/admin").status_code == 403
    assert client.get("/workbench").status_code == 200
    auth.logout()
    auth.login("agent")
    assert client.get("/workbench").status_code == 403
    assert client.get("/agent").status_code == 200


def test_wrong_password_is_refused(client, auth, world):
    response = auth.login("agent", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
