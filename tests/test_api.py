"""The JSON API: OpenAPI document, folders, administration, error shapes."""

from __future__ import annotations

import pytest


def test_openapi_document_describes_every_api_route(app, client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    spec = r.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    }
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    token_body = spec["paths"]["/api/v1/tokens"]["post"]["requestBody"]
    schema_ref = token_body["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[1]
    assert set(spec["components"]["schemas"][name]["required"]) == {"email", "password"}


def test_openapi_document_is_valid_openapi_3_1(client):
    """Validated by openapi-spec-validator; uploads are one multipart body (no OpenAPI 2
    ``formData`` parameters); every operation that needs a token documents its 401."""
    import json

    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)
    assert '"formData"' not in json.dumps(spec)
    upload = spec["paths"]["/api/v1/folders/{folder_id}/documents"]["post"]["requestBody"]
    fields = upload["content"]["multipart/form-data"]["schema"]
    assert {"file", "title", "category"} <= set(fields["properties"])
    assert fields["required"] == ["file"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            public = (path, method) in {("/api/v1/tokens", "post")}
            assert ("401" in operation["responses"]) != public, (path, method)


def test_folders_api(client, auth, world):
    editor = auth.token("provider_editor")
    r = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "  Council   papers ", "area": "provider"},
    )
    assert r.status_code == 201, r.get_json()
    folder = r.get_json()
    assert folder["name"] == "Council papers" and folder["area"] == "provider"
    assert folder["provider"] == "cardiff"
    child = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "2027", "area": "provider", "parent_id": folder["id"]},
    )
    assert child.status_code == 201
    grandchild = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "Too deep", "area": "provider", "parent_id": child.get_json()["id"]},
    )
    assert grandchild.status_code == 422
    assert "one level" in grandchild.get_json()["error"]["message"]
    dup = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "council papers", "area": "provider"},
    )
    assert dup.status_code == 422
    bad_area = client.post(
        "/api/v1/providers/cardiff/folders", headers=editor, json={"name": "x", "area": "attic"}
    )
    assert bad_area.status_code == 422
    assert "area" in bad_area.get_json()["error"]["details"]
    listing = client.get("/api/v1/providers/cardiff/folders", headers=editor).get_json()
    assert {f["name"] for f in listing} == {"Improvement conference", "Council papers", "2027"}
    # Editors cannot write in the inspectors' area; it does not even exist for them.
    r = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={"name": "Notes", "area": "inspectors"},
    )
    assert r.status_code == 404


def test_inspector_folders_and_cross_room_parent(client, auth, world):
    inspector = auth.token("inspector")
    r = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=inspector,
        json={"name": "Notes", "area": "inspectors"},
    )
    assert r.status_code == 201
    refused = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=inspector,
        json={"name": "Notes", "area": "provider"},
    )
    assert refused.status_code == 403
    coordinator = auth.token("coordinator")
    cross = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=coordinator,
        json={
            "name": "x",
            "area": "inspectors",
            "parent_id": world.folders[("swansea", "inspectors")],
        },
    )
    assert cross.status_code == 422


def test_admin_api(client, auth, world):
    admin = auth.token("admin")
    r = client.post(
        "/api/v1/organisations",
        headers=admin,
        json={
            "slug": "newport",
            "name_en": "Newport City Council",
            "name_cy": "Cyngor Dinas Casnewydd",
            "kind": "local_authority",
            "consortium": "csc",
        },
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["consortium"] == "csc"
    u = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "lali@test.example",
            "name": "Link Inspector",
            "org": "estyn",
            "roles": ["inspector"],
            "assign": ["newport"],
        },
    )
    assert u.status_code == 201, u.get_json()
    body = u.get_json()
    assert body["assignments"] == ["newport"]
    # The link goes to the user by mail, never into the administrator's answer (no mail
    # server here, so it did not go: an operator would run `vir users link`).
    assert body["password_link_sent"] is False and "set_password_url" not in body
    assert "/set-password/" not in u.get_data(as_text=True)
    bad = client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "x@test.example", "name": "X", "org": "nowhere", "roles": ["inspector"]},
    )
    assert bad.status_code == 422 and "org" in bad.get_json()["error"]["details"]
    off = client.patch(f"/api/v1/users/{body['id']}", headers=admin, json={"active": False})
    assert off.status_code == 200 and off.get_json()["active"] is False
    me = client.get("/api/v1/me", headers=admin).get_json()
    self_off = client.patch(f"/api/v1/users/{me['id']}", headers=admin, json={"active": False})
    assert self_off.status_code == 409
    assign = client.post(
        f"/api/v1/users/{world.users['auditor']}/assignments",
        headers=admin,
        json={"provider": "swansea"},
    )
    assert assign.status_code == 201
    assert assign.get_json()["assignments"] == ["cardiff", "swansea"]
    wrong = client.post(
        f"/api/v1/users/{world.users['provider_editor']}/assignments",
        headers=admin,
        json={"provider": "swansea"},
    )
    assert wrong.status_code == 422
    assert client.get("/api/v1/users/999/assignments", headers=admin).status_code == 405
    assert (
        client.patch("/api/v1/users/999", headers=admin, json={"active": True}).status_code == 404
    )
    # Admins see no document content: no rooms for them.
    assert client.get("/api/v1/providers", headers=admin).get_json() == []


def test_unknown_api_path_is_json_404(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search?q=plan&since=2024-01-01",  # the filter is called "from"
        "/api/v1/search?q=plan&until=2024-06-30",
        "/api/v1/audit?page=1&who=x",
        "/api/v1/forwards?stat=open",
        "/api/v1/folders/{folder}/documents?per_page=10",  # paged lists: "page_size"
    ],
)
def test_unknown_query_parameters_are_refused_not_ignored(client, auth, world, path):
    """A misspelt filter was ignored: ``since=`` searched everything, and the caller took the
    answer for a filtered one. Every API query string refuses a parameter it does not know."""
    headers = auth.token("coordinator")
    r = client.get(path.format(folder=world.folders[("cardiff", "provider")]), headers=headers)
    assert r.status_code == 422, r.get_json()
    error = r.get_json()["error"]
    assert error["code"] == "validation_error"
    name = path.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    assert name in error["details"]


def test_nul_characters_are_refused_everywhere_not_a_500(client, auth, world):
    """Found by tests/test_api_fuzz.py: an email with a NUL reached PostgreSQL, which cannot
    store one, and the token call answered 500. No text of any request may hold one: it is
    refused as invalid input (422), as a bad query is."""
    r = client.post("/api/v1/tokens", json={"email": "a\x00@b.example", "password": "x"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_characters"
    assert client.post("/sign-in", data={"email": "a\x00b", "password": "x"}).status_code == 422
    headers = auth.token("provider_editor")
    assert client.get("/api/v1/search?q=plan%00", headers=headers).status_code == 422
    assert client.get("/api/v1/providers/card%00iff/folders", headers=headers).status_code == 422
    folder = world.folders[("cardiff", "provider")]
    r = client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=headers,
        data={"title": "Plan\x00", "file": (__import__("io").BytesIO(b"%PDF-1.4"), "p.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    nested = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=headers,
        json={"name": "ok", "area": "provider", "x": ["fine", {"deep": "no\x00"}]},
    )
    assert nested.status_code == 422


def test_api_reference_page_is_served_from_vir_itself(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert '<script src="/static/vendor/redoc.standalone.js">' in page
    assert "https://" not in page and "http://" not in page  # no CDN
    script = client.get("/static/vendor/redoc.standalone.js")
    assert script.status_code == 200
    script.close()
