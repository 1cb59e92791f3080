from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user, login_required

from vir.access import (
    READ,
    WRITE,
    can_answer_check,
    can_draft_letters,
    load_activity,
    load_letter,
    load_release,
    require,
)
from vir.api.common import Blueprint, refusals
from vir.core.uploads import takes_files
from vir.letters import operations as ops
from vir.letters import queries
from vir.letters.schemas import (
    AnswerFields,
    FinalFields,
    LetterFields,
    LetterFile,
    LetterOut,
    OptionalFile,
    ReleasedOut,
    ReleaseFields,
)
from vir.letters.serialise import letter_dict, release_dict
from vir.orgs.operations import by_slug

blp = Blueprint(
    "api_letters", __name__, url_prefix="/api/v1", description="Records, letters and briefings"
)


def _audit(letter: Any) -> dict[str, Any]:
    return {
        "provider_id": letter.activity.provider_id,
        "object_type": "letter",
        "object_id": letter.id,
    }


@blp.get("/activities/<int:activity_id>/letters")
@login_required
@blp.response(200, LetterOut(many=True))
def list_letters(activity_id: int) -> list[dict[str, Any]]:
    """The activity's records and letters: drafts for inspectors, what was shared for the
    provider."""
    activity = load_activity(activity_id)
    return [letter_dict(x) for x in queries.for_activity(activity, current_user)]


@blp.post("/activities/<int:activity_id>/letters")
@takes_files
@login_required
@blp.arguments(LetterFields, location="form")
@blp.arguments(LetterFile, location="files")
@blp.response(201, LetterOut)
def create(fields: dict[str, Any], files: dict[str, Any], activity_id: int) -> dict[str, Any]:
    """Start a record, letter or briefing from its first draft (multipart: kind, title, file);
    the draft is kept in the activity's Link Inspectors folder."""
    activity = load_activity(activity_id)
    require(
        can_draft_letters(current_user, activity.inspectors_folder.room),
        "letter.create",
        provider_id=activity.provider_id,
        object_type="activity",
        object_id=activity_id,
    )
    upload = files["file"]
    with refusals():
        letter = ops.create_letter(
            activity,
            fields["kind"],
            upload.stream,
            upload.filename,
            user=current_user,
            title=fields["title"] or None,
        )
    return letter_dict(letter)


@blp.get("/letters/<int:letter_id>")
@login_required
@blp.response(200, LetterOut)
def get_letter(letter_id: int) -> dict[str, Any]:
    return letter_dict(load_letter(letter_id, READ))


@blp.post("/letters/<int:letter_id>/share")
@login_required
@blp.response(200, LetterOut)
def share(letter_id: int) -> dict[str, Any]:
    """Send the draft's current version to the provider: for its factual-accuracy check
    (due in working days), or, for a briefing, published."""
    letter = load_letter(letter_id, WRITE)
    with refusals():
        ops.share(letter, current_user)
    return letter_dict(letter)


@blp.post("/letters/<int:letter_id>/answer")
@takes_files
@login_required
@blp.arguments(AnswerFields, location="form")
@blp.arguments(OptionalFile, location="files")
@blp.response(200, LetterOut)
def answer(fields: dict[str, Any], files: dict[str, Any], letter_id: int) -> dict[str, Any]:
    """The provider's answer to the check, once, by its due date (multipart or form:
    answer=no_errors|corrections, text, optional file marked up)."""
    letter = load_letter(letter_id, READ)
    require(can_answer_check(current_user, letter), "letter.answer", **_audit(letter))
    upload = files.get("file")
    with refusals():
        ops.answer_check(
            letter,
            current_user,
            fields["answer"],
            fields["text"],
            stream=upload.stream if upload else None,
            filename=upload.filename if upload else None,
        )
    return letter_dict(letter)


@blp.post("/letters/<int:letter_id>/final")
@takes_files
@login_required
@blp.arguments(FinalFields, location="form")
@blp.arguments(OptionalFile, location="files")
@blp.response(200, LetterOut)
def final(fields: dict[str, Any], files: dict[str, Any], letter_id: int) -> dict[str, Any]:
    """Issue the final version (the file given, or the draft's current version) with the
    date it was sent."""
    letter = load_letter(letter_id, WRITE)
    upload = files.get("file")
    with refusals():
        ops.issue_final(
            letter,
            current_user,
            fields["sent_on"],
            stream=upload.stream if upload else None,
            filename=upload.filename if upload else None,
            for_publication=fields["for_publication"],
        )
    return letter_dict(letter)


@blp.post("/letters/<int:letter_id>/releases")
@login_required
@blp.arguments(ReleaseFields)
@blp.response(200, LetterOut)
def release(fields: dict[str, Any], letter_id: int) -> dict[str, Any]:
    """Release the final version to stakeholder organisations; their users are told by mail."""
    letter = load_letter(letter_id, WRITE)
    orgs = [by_slug(s) for s in fields["organisations"]]
    with refusals():
        ops.release(letter, current_user, orgs)
    return letter_dict(letter)


@blp.get("/released")
@login_required
@blp.response(200, ReleasedOut(many=True))
def released() -> list[dict[str, Any]]:
    """For stakeholders: the final letters and records released to their organisation."""
    return [release_dict(x) for x in queries.released(current_user)]


@blp.get("/released/<int:letter_id>/download")
@login_required
@blp.response(200, description="the final version")
def download_release(letter_id: int) -> Response:
    """A released final letter, for its stakeholder readers."""
    from vir.letters.views import send_release

    return send_release(load_release(letter_id))
