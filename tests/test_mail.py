"""Reminders and digests through a real SMTP server on loopback (aiosmtpd), each mail once."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller

from tests import files
from tests.services.ceph import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def app_config(inbox: tuple[Inbox, int]) -> dict[str, Any]:
    return {
        "VIR_SMTP_HOST": "127.0.0.1",
        "VIR_SMTP_PORT": inbox[1],
        "VIR_MAIL_FROM": "VIR <vir@test.example>",
        "VIR_TOKEN_HOURS": 24 * 365 * 10,
    }


def _send(app: Any) -> int:
    from vir.core.tasks import send_due_mail

    with app.app_context():
        return send_due_mail.call_local()


@pytest.fixture
def conference(client, auth, world) -> dict:
    r = client.post(
        "/api/v1/providers/cardiff/activities",
        headers=auth.token("coordinator"),
        json={
            "kind": "improvement_conference",
            "starts_at": "2027-03-10T09:30",
            "lead_inspector": world.email("inspector"),
        },
    )
    assert r.status_code == 201
    return r.get_json()


def test_reminders_ten_and_three_working_days_before_each_once(
    app, client, auth, world, conference, inbox
):
    box, _ = inbox
    editor = world.email("provider_editor")
    with time_machine.travel(datetime(2027, 2, 10, 8, 0, tzinfo=UTC), tick=False):
        _send(app)
        assert box.to(editor) == []  # 13 working days before: nothing yet
    with time_machine.travel(datetime(2027, 2, 17, 8, 0, tzinfo=UTC), tick=False):
        _send(app)
        _send(app)
        first = box.to(editor)
        assert len(first) == 1
        assert "Wednesday 3 March 2027, 09:30" in first[0]["Subject"]
        assert first[0]["From"] == "VIR <vir@test.example>"
    with time_machine.travel(datetime(2027, 2, 26, 8, 0, tzinfo=UTC), tick=False):
        _send(app)
        assert len(box.to(editor)) == 2
    with time_machine.travel(datetime(2027, 3, 4, 8, 0, tzinfo=UTC), tick=False):
        _send(app)
        assert len(box.to(editor)) == 2  # past the deadline: no more reminders
    assert box.to(world.email("provider_viewer")) == []


def test_reminders_in_welsh_for_welsh_users(app, client, auth, world, conference, inbox):
    box, _ = inbox
    auth.login("provider_editor")
    client.post("/language", data={"locale": "cy", "next": "/"})
    with time_machine.travel(datetime(2027, 2, 26, 8, 0, tzinfo=UTC), tick=False):
        _send(app)
    message = box.to(world.email("provider_editor"))[0]
    subject = " ".join(str(message["Subject"]).split())
    assert "erbyn dydd Mercher 3 Mawrth 2027" in subject  # lower-case mid-sentence
    assert subject.startswith("VIR: rhaid rhannu")


def test_digest_of_papers_calls_out_late_ones(app, client, auth, world, conference, inbox):
    box, _ = inbox
    editor = auth.token("provider_editor")
    folder = conference["folders"]["provider"]
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        client.post(
            f"/api/v1/folders/{folder}/documents",
            headers=editor,
            data={"file": (io.BytesIO(files.pdf()), "plan.pdf"), "title": "Improvement plan"},
            content_type="multipart/form-data",
        )
    with time_machine.travel(datetime(2027, 3, 5, 10, 0, tzinfo=UTC), tick=False):
        client.post(
            f"/api/v1/folders/{folder}/documents",
            headers=editor,
            data={
                "file": (io.BytesIO(files.pdf("late")), "cabinet.pdf"),
                "title": "Cabinet report",
                "information_date": "2027-03-04",
                "late_reason": "Cabinet met on 4 March",
            },
            content_type="multipart/form-data",
        )
        _send(app)
        _send(app)
    digests = box.to(world.email("inspector"))
    assert len(digests) == 1
    body = digests[0].get_content()
    assert "Improvement plan" in body and "Cabinet report" in body
    assert "LATE" in body and "Cabinet met on 4 March" in body
    assert box.to(world.email("provider_editor")) == [] or all(
        "new paper" not in m["Subject"] for m in box.to(world.email("provider_editor"))
    )


def test_unreachable_smtp_retries_next_time(app, client, auth, world, conference, inbox):
    box, _ = inbox
    app.config["VIR_SMTP_PORT"] = free_port()  # nothing listens there
    with time_machine.travel(datetime(2027, 2, 26, 8, 0, tzinfo=UTC), tick=False):
        assert _send(app) == 0
        app.config["VIR_SMTP_PORT"] = inbox[1]
        assert _send(app) == 1
    assert len(box.to(world.email("provider_editor"))) == 1


def test_the_digest_includes_papers_in_subfolders(app, client, auth, world, conference, inbox):
    """Papers in a subfolder of the papers folder were missing from the inspectors' digest."""
    box, _ = inbox
    editor = auth.token("provider_editor")
    sub = client.post(
        "/api/v1/providers/cardiff/folders",
        headers=editor,
        json={
            "name": "Appendices",
            "area": "provider",
            "parent_id": conference["folders"]["provider"],
        },
    ).get_json()["id"]
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        r = client.post(
            f"/api/v1/folders/{sub}/documents",
            headers=editor,
            data={
                "file": (io.BytesIO(files.pdf()), "appendix.pdf"),
                "title": "Appendix on attendance",
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 201
    with time_machine.travel(datetime(2027, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        _send(app)
    digests = box.to(world.email("inspector"))
    assert digests and "Appendix on attendance" in digests[0].get_content()


def test_password_links_go_to_the_account_holder_and_coordinators_hear_of_grants(
    app, client, auth, world, inbox, runner
):
    """An admin (who holds no document content) could create a co-ordinator, or make a
    set-password link for an existing inspector, and read the Link Inspectors area with it."""
    box, _ = inbox
    admin = auth.token("admin")
    r = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "new.coordinator@test.example",
            "name": "New",
            "org": "estyn",
            "roles": ["coordinator"],
        },
    )
    assert r.status_code == 201 and r.get_json()["password_link_sent"] is True
    assert "/set-password/" not in r.get_data(as_text=True)
    mine = box.to("new.coordinator@test.example")
    assert len(mine) == 1 and "/set-password/" in mine[0].get_content()
    told = box.to(world.email("coordinator"))
    assert told and "new.coordinator@test.example" in told[-1]["Subject"]
    assert world.email("admin") in told[-1].get_content()
    auth.login("admin")
    page = client.post(f"/admin/users/{world.users['inspector']}/password-link")
    assert page.status_code == 200 and b"/set-password/" not in page.data
    assert b"has been sent" in page.data
    assert any("/set-password/" in m.get_content() for m in box.to(world.email("inspector")))
    assert all("/set-password/" not in m.get_content() for m in box.to(world.email("admin")))
    # An operator at the server's command line can still print one.
    printed = runner.invoke(args=["users", "link", world.email("inspector")])
    assert printed.exit_code == 0 and "/set-password/" in printed.output


def test_letters_mail_check_reminder_answer_and_release_each_once(
    app, client, auth, world, conference, inbox
):
    """A draft to check reaches the provider's editors, a reminder two working days before
    it is due, the answer reaches the inspectors, the release the stakeholder's users."""
    box, _ = inbox
    headers = {r: auth.token(r) for r in ("inspector", "provider_editor")}
    r = client.post(
        f"/api/v1/activities/{conference['id']}/letters",
        headers=headers["inspector"],
        data={"kind": "outcome_letter", "file": (io.BytesIO(files.pdf("draft")), "draft.pdf")},
        content_type="multipart/form-data",
    )
    letter = r.get_json()["id"]
    editor, inspector = world.email("provider_editor"), world.email("inspector")
    stakeholder = world.email("stakeholder")
    with time_machine.travel(datetime(2027, 3, 24, 10, 0, tzinfo=UTC), tick=False):
        client.post(f"/api/v1/letters/{letter}/share", headers=headers["inspector"])
        _send(app)
        got = box.to(editor)
        assert len(got) == 1 and "factual accuracy" in got[0]["Subject"]
        assert "Friday 2 April 2027" in got[0].get_content()
    with time_machine.travel(datetime(2027, 3, 31, 8, 0, tzinfo=UTC), tick=False):
        _send(app)
        _send(app)
        reminders = [m for m in box.to(editor) if "reminder" in m["Subject"]]
        assert len(reminders) == 1 and "Friday 2 April 2027" in reminders[0]["Subject"]
        client.post(
            f"/api/v1/letters/{letter}/answer",
            headers=headers["provider_editor"],
            data={"answer": "no_errors"},
        )
        _send(app)
        answers = [m for m in box.to(inspector) if "answered" in m["Subject"]]
        assert len(answers) == 1 and "No factual errors." in answers[0].get_content()
        client.post(
            f"/api/v1/letters/{letter}/final",
            headers=headers["inspector"],
            data={"sent_on": "2027-03-31"},
        )
        assert box.to(stakeholder) == []
        client.post(
            f"/api/v1/letters/{letter}/releases",
            headers=headers["inspector"],
            json={"organisations": ["welsh-government"]},
        )
        _send(app)
        _send(app)
    released = box.to(stakeholder)
    assert len(released) == 1 and "released" in released[0]["Subject"]
    assert "/released" in released[0].get_content()
    assert len(box.to(editor)) == 2  # the draft and the reminder, each once
