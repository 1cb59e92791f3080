"""Inspectors' comments on plan versions, the provider's replies, and private inspector
notes that only the Link Inspectors area's readers ever see (issue 14)."""

from __future__ import annotations

import io
from typing import Any

from tests import files
from tests.test_search import _upload


def _comments(client: Any, headers: dict, doc: int) -> Any:
    return client.get(f"/api/v1/documents/{doc}/comments", headers=headers)


def test_inspectors_comment_and_the_provider_replies(app, client, auth, world):
    editor, inspector = auth.token("provider_editor"), auth.token("inspector")
    folder = world.folders[("cardiff", "provider")]
    doc = _upload(client, editor, folder, "plan.pdf", files.pdf("Improvement plan"))["id"]
    url = f"/api/v1/documents/{doc}/comments"
    made = client.post(url, headers=inspector, json={"body": "Set a date for target 2.\nThanks"})
    assert made.status_code == 201, made.get_json()
    comment = made.get_json()
    assert comment["version"] == 1 and comment["body"] == "Set a date for target 2.\nThanks"
    reply = client.post(
        url, headers=editor, json={"body": "Added: July.", "reply_to": comment["id"]}
    )
    assert reply.status_code == 201
    # Only inspectors start a thread; viewers read; others never see the document.
    assert client.post(url, headers=editor, json={"body": "Mine"}).status_code == 403
    viewer = auth.token("provider_viewer")
    assert (
        client.post(url, headers=viewer, json={"body": "x", "reply_to": comment["id"]}).status_code
        == 403
    )
    body = _comments(client, viewer, doc).get_json()
    assert [c["body"] for c in body["comments"]] == ["Set a date for target 2.\nThanks"]
    assert body["comments"][0]["replies"][0]["body"] == "Added: July."
    assert body["may_comment"] is False and "notes" not in body
    for role in ("partner", "admin"):
        assert _comments(client, auth.token(role), doc).status_code == 404
        assert client.post(url, headers=auth.token(role), json={"body": "x"}).status_code == 404
    # Anchored to its version: a new version starts with no comments of its own.
    r = client.post(
        f"/api/v1/documents/{doc}/versions",
        headers=editor,
        data={"file": (io.BytesIO(files.pdf("Improvement plan v2")), "plan.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    later = client.post(url, headers=inspector, json={"body": "Better."}).get_json()
    assert later["version"] == 2
    on_first = client.post(url, headers=inspector, json={"body": "Still", "version": 1}).get_json()
    assert on_first["version"] == 1
    assert client.post(url, headers=inspector, json={"body": "x", "version": 9}).status_code == 404
    for bad in ({"body": ""}, {"body": "   "}, {"body": "x" * 10_001}, {}):
        assert client.post(url, headers=inspector, json=bad).status_code == 422, bad
    # On the page: who, when, which version, and the form for those who may comment.
    auth.login("provider_viewer")
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Set a date for target 2." in page and "on version 1" in page
    assert "Earlier version" in page and "Add comment" not in page
    auth.logout()
    auth.login("inspector")
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Comment on version 2" in page and "Inspectors’ private notes" in page
    from vir.audit.models import AuditEvent
    from vir.core.db import db

    with app.app_context():
        events = db.session.query(AuditEvent).filter_by(object_id=str(doc)).all()
    assert [e.outcome for e in events if e.action == "document.comment"].count("allowed") == 4
    assert [e.outcome for e in events if e.action == "document.comment"].count("denied") >= 2


def test_private_notes_are_seen_only_by_link_inspectors_readers(app, client, auth, world):
    editor, inspector = auth.token("provider_editor"), auth.token("inspector")
    folder = world.folders[("cardiff", "provider")]
    doc = _upload(client, editor, folder, "plan.pdf", files.pdf("Plan"))["id"]
    note = client.post(
        f"/api/v1/documents/{doc}/notes", headers=inspector, json={"body": "zanzibar concern"}
    )
    assert note.status_code == 201, note.get_json()
    note_id = note.get_json()["id"]
    assert _comments(client, inspector, doc).get_json()["notes"][0]["body"] == "zanzibar concern"
    coordinator = auth.token("coordinator")
    assert _comments(client, coordinator, doc).get_json()["notes"][0]["id"] == note_id
    for role in ("provider_editor", "provider_viewer", "auditor"):
        headers = auth.token(role)
        answer = _comments(client, headers, doc)
        assert answer.status_code == 200 and "notes" not in answer.get_json(), role
        assert "zanzibar" not in answer.get_data(as_text=True)
        r = client.post(f"/api/v1/documents/{doc}/notes", headers=headers, json={"body": "x"})
        assert r.status_code == 404, role
        # Not through the comments route either: a note is not a comment to reply to.
        r = client.post(
            f"/api/v1/documents/{doc}/comments",
            headers=headers,
            json={"body": "x", "reply_to": note_id},
        )
        assert r.status_code == 404 and "zanzibar" not in r.get_data(as_text=True), role
    # A reply to a note is a note.
    answer = client.post(
        f"/api/v1/documents/{doc}/notes",
        headers=coordinator,
        json={"body": "agreed", "reply_to": note_id},
    )
    assert answer.status_code == 201 and answer.get_json()["kind"] == "note"
    auth.login("provider_editor")
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "zanzibar" not in page and "private notes" not in page
    assert client.post(f"/documents/{doc}/notes", data={"body": "x"}).status_code == 404


def test_comments_through_the_web_form_in_welsh(app, client, auth, world):
    editor = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    doc = _upload(client, editor, folder, "plan.pdf", files.pdf("Cynllun"))["id"]
    auth.login("inspector")
    client.post("/language", data={"locale": "cy", "next": "/"})
    r = client.post(f"/documents/{doc}/comments", data={"body": "Da iawn, diolch"})
    assert r.status_code == 302 and "#comment-" in r.headers["Location"]
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "Da iawn, diolch" in page and "Sylwadau" in page
    r = client.post(f"/documents/{doc}/comments", data={"body": ""}, follow_redirects=True)
    assert "Ysgrifennwch y sylw yn gyntaf." in r.get_data(as_text=True)
    auth.logout()
    auth.login("provider_editor")
    comment = _comments(client, editor, doc).get_json()["comments"][0]["id"]
    r = client.post(f"/documents/{doc}/comments", data={"body": "Diolch", "reply_to": comment})
    assert r.status_code == 302
    assert (
        _comments(client, editor, doc).get_json()["comments"][0]["replies"][0]["body"] == "Diolch"
    )


def test_documents_with_comments_can_still_be_purged(app, client, auth, world, runner):
    from datetime import timedelta

    from vir.comments.models import Comment
    from vir.core.db import db, utcnow
    from vir.documents.models import Document

    editor, inspector = auth.token("provider_editor"), auth.token("inspector")
    folder = world.folders[("cardiff", "provider")]
    doc = _upload(client, editor, folder, "plan.pdf", files.pdf("Plan"))["id"]
    client.post(f"/api/v1/documents/{doc}/comments", headers=inspector, json={"body": "c"})
    client.post(f"/api/v1/documents/{doc}/notes", headers=inspector, json={"body": "n"})
    assert client.delete(f"/api/v1/documents/{doc}", headers=editor).status_code == 204
    with app.app_context():
        db.session.get(Document, doc).deleted_at = utcnow() - timedelta(days=400)
        db.session.commit()
    result = runner.invoke(args=["documents", "purge"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(Comment).count() == 0
