"""Letters as the API and pages show them: each field only for those who may see it."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from vir.access import READ, can, can_answer_check, can_draft_letters
from vir.calendar import local_today
from vir.core.db import utcnow
from vir.core.labels import LETTER_LABELS, LETTER_STAGES
from vir.letters.models import Letter, Stage
from vir.rooms.models import Area


def letter_dict(letter: Letter, user: Any = None) -> dict[str, Any]:
    user = user if user is not None else current_user
    room = letter.activity_room
    inspector = can(user, READ, room, Area.INSPECTORS)
    stage = letter.stage(local_today(utcnow()))
    body: dict[str, Any] = {
        "id": letter.id,
        "activity_id": letter.activity_id,
        "provider": letter.activity.provider.slug,
        "kind": letter.kind,
        "kind_label": str(LETTER_LABELS[letter.kind]),
        "stage": stage.value,
        "stage_label": str(LETTER_STAGES[stage.value]),
        "title": (letter.shared_document or letter.draft_document).title,
        "shared_document_id": letter.shared_document_id,
        "shared_at": letter.shared_at,
        "check_due_on": letter.check_due_on,
        "answer": letter.answer,
        "answer_text": letter.answer_text,
        "answer_document_id": letter.answer_document_id,
        "answered_at": letter.answered_at,
        "answered_by": letter.answered_by.name if letter.answered_by else None,
        "final_version": letter.final_version,
        "final_sent_on": letter.final_sent_on,
        "for_publication": letter.for_publication,
        "may_answer": stage == Stage.CHECKING and can_answer_check(user, letter),
        "may_manage": can_draft_letters(user, room),
    }
    if inspector:  # the draft, and who it went to, are the inspectors' business
        body["draft_document_id"] = letter.draft_document_id
        body["releases"] = [
            {
                "organisation": r.organisation.slug,
                "name": r.organisation.name(getattr(user, "locale", None) or "en"),
                "released_at": r.released_at,
            }
            for r in letter.releases
        ]
    return body


def release_dict(letter: Letter, user: Any = None) -> dict[str, Any]:
    """What a stakeholder sees of a letter released to them: the final, nothing before it."""
    user = user if user is not None else current_user
    locale = getattr(user, "locale", None) or "en"
    final = letter.shared_document.version(letter.final_version) if letter.shared_document else None
    mine = next((r for r in letter.releases if r.org_id == user.org_id), None)
    return {
        "id": letter.id,
        "provider": letter.activity.provider.slug,
        "provider_name": letter.activity.provider.name(locale),
        "activity_kind": letter.activity.kind,
        "kind": letter.kind,
        "kind_label": str(LETTER_LABELS[letter.kind]),
        "title": letter.shared_document.title if letter.shared_document else "",
        "sent_on": letter.final_sent_on,
        "for_publication": letter.for_publication,
        "released_at": mine.released_at if mine else None,
        "filename": final.filename if final else None,
        "size": final.size if final else None,
        "sha256": final.sha256 if final else None,
    }
