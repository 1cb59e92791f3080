"""What changed between two versions of a document (issue 14): word-level, accessible,
paged, in both languages, through the web page and the API, audited, access-checked."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests import files
from tests.test_search import _upload
from vir.changes import operations as ops


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {"VIR_SEARCH_ENABLED": True}


PLAN_1 = """Attendance plan 2026

Raise attendance in primary schools to 94 per cent by July.
Meet head teachers each term.
The council will publish figures every month."""

PLAN_2 = """Attendance plan 2026

Raise attendance in all primary and secondary schools to 95 per cent by July.
Meet head teachers each term.
Appoint two education welfare officers."""


def _version(client: Any, headers: dict, document: int, name: str, data: bytes) -> None:
    r = client.post(
        f"/api/v1/documents/{document}/versions",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_json()


def test_words_added_and_removed_are_found_paragraph_by_paragraph():
    paragraphs = ops.diff(PLAN_1, PLAN_2)
    assert [c.op for c in paragraphs[0]] == ["equal"]
    second = {(c.op, c.text) for c in paragraphs[1]}
    assert ("delete", "94") in second and ("insert", "95") in second
    assert ("insert", "all") in second and ("insert", "and secondary") in second
    assert [(c.op, c.text) for c in paragraphs[2]] == [("equal", "Meet head teachers each term.")]
    last = [(c.op, c.text) for p in paragraphs[3:] for c in p]
    assert ("delete", "The council will publish figures every month.") in last or any(
        op == "delete" and "publish" in text for op, text in last
    )
    assert any(op == "insert" and "welfare" in text for op, text in last)
    # The later text is what the equal and inserted words spell out.
    later = [" ".join(c.text for c in p if c.op != "delete") for p in paragraphs]
    assert [p for p in later if p] == ops._paragraphs(PLAN_2)
    earlier = [" ".join(c.text for c in p if c.op != "insert") for p in paragraphs]
    assert [p for p in earlier if p] == ops._paragraphs(PLAN_1)


def test_a_rewritten_long_plan_is_compared_by_paragraph_in_bounded_time():
    import time

    before = "\n".join(f"para{i} " + " ".join(f"w{i}x{j}" for j in range(40)) for i in range(400))
    after = "\n".join(f"para{i} " + " ".join(f"v{i}x{j}" for j in range(40)) for i in range(400))
    start = time.perf_counter()
    paragraphs = ops.diff(before, after)
    assert time.perf_counter() - start < 5
    assert len(paragraphs) == 800  # every paragraph removed, then every one added
    assert {c.op for p in paragraphs[:400] for c in p} == {"delete"}


def test_compare_two_versions_on_the_page_and_in_the_api(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    doc = _upload(client, editor, folder, "plan.txt", PLAN_1.encode())
    # One version: nothing to compare, said clearly.
    r = client.get(f"/api/v1/documents/{doc['id']}/compare", headers=editor)
    assert r.status_code == 422 and "only one version" in r.get_json()["error"]["message"]
    _version(client, editor, doc["id"], "plan.docx", files.docx(PLAN_2.replace("\n\n", "\n")))
    body = client.get(f"/api/v1/documents/{doc['id']}/compare", headers=editor).get_json()
    assert body["from"]["version"] == 1 and body["to"]["version"] == 2
    assert body["words_inserted"] >= 6 and body["words_deleted"] >= 7
    assert body["pages"] == 1 and body["pages_with_changes"] == [1]
    runs = [run for p in body["paragraphs"] for run in p]
    assert {"op": "insert", "text": "95"} in runs and {"op": "delete", "text": "94"} in runs
    # Backwards, and the same version twice, and versions that do not exist.
    back = client.get(
        f"/api/v1/documents/{doc['id']}/compare", headers=editor, query_string={"from": 2, "to": 1}
    ).get_json()
    assert {"op": "insert", "text": "94"} in [run for p in back["paragraphs"] for run in p]
    same = client.get(
        f"/api/v1/documents/{doc['id']}/compare", headers=editor, query_string={"from": 2, "to": 2}
    )
    assert same.status_code == 422
    for q in ({"from": 9}, {"to": 9}, {"from": "x"}, {"to": 0}, {"page": 99999999999}):
        r = client.get(f"/api/v1/documents/{doc['id']}/compare", headers=editor, query_string=q)
        assert r.status_code in (404, 422), (q, r.status_code)
    # The page: offered from the document, words marked not by colour alone.
    auth.login("provider_viewer")
    page = client.get(f"/documents/{doc['id']}").get_data(as_text=True)
    assert "Compare with the previous version" in page
    html = client.get(f"/documents/{doc['id']}/compare").get_data(as_text=True)
    assert '<ins class="vir-ins"><span class="govuk-visually-hidden">[added: </span>95' in html
    assert '<del class="vir-del"><span class="govuk-visually-hidden">[removed: </span>94' in html
    assert "words added" in html and "underlined" in html
    client.post("/language", data={"locale": "cy", "next": "/"})
    welsh = client.get(f"/documents/{doc['id']}/compare").get_data(as_text=True)
    assert "Beth newidiodd" in welsh and "[wedi’i ychwanegu: </span>95" in welsh
    # Audited, as reading the document's text is.
    from vir.audit.models import AuditEvent
    from vir.core.db import db

    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(object_id=str(doc["id"]))
        actions = [e.action for e in events]
    assert actions.count("document.compare") >= 3


def test_only_those_who_may_read_the_document_may_compare_it(app, client, auth, world):
    inspector = auth.token("inspector")
    folder = world.folders[("cardiff", "inspectors")]
    doc = _upload(client, inspector, folder, "notes.txt", b"Private notes one")
    _version(client, inspector, doc["id"], "notes.txt", b"Private notes two")
    own = client.get(f"/api/v1/documents/{doc['id']}/compare", headers=inspector)
    assert own.status_code == 200
    for role in ("provider_editor", "provider_viewer", "partner", "admin"):
        r = client.get(f"/api/v1/documents/{doc['id']}/compare", headers=auth.token(role))
        assert r.status_code == 404, role
        assert "Private" not in r.get_data(as_text=True)
    auth.login("provider_editor")
    assert client.get(f"/documents/{doc['id']}/compare").status_code == 404


def test_long_plans_are_paged_and_say_where_the_changes_are(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    before = "\n".join(f"Paragraph {i} of the plan." for i in range(450))
    after = before.replace("Paragraph 420 of the plan.", "Paragraph 420 of the revised plan.")
    doc = _upload(client, editor, folder, "long.txt", before.encode())
    _version(client, editor, doc["id"], "long.txt", after.encode())
    body = client.get(f"/api/v1/documents/{doc['id']}/compare", headers=editor).get_json()
    assert body["pages"] == 3 and body["pages_with_changes"] == [3]
    assert body["words_inserted"] == 1 and body["words_deleted"] == 0
    third = client.get(
        f"/api/v1/documents/{doc['id']}/compare", headers=editor, query_string={"page": 3}
    ).get_json()
    assert third["first_paragraph"] == 401 and len(third["paragraphs"]) == 50
    auth.login("provider_viewer")
    html = client.get(f"/documents/{doc['id']}/compare?page=3").get_data(as_text=True)
    assert "Paragraphs 401 to 450 of 450." in html and "Changes are on pages 3." in html
