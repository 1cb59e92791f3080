"""Records, letters and briefings in the web UI: the letter page with the step each reader
may take, and the stakeholders' list of what was released to them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from vir.access import (
    READ,
    WRITE,
    can_answer_check,
    can_draft_letters,
    is_stakeholder,
    load_activity,
    load_letter,
    load_release,
    require,
)
from vir.audit.operations import record
from vir.calendar import local_today
from vir.core.db import db, utcnow
from vir.core.errors import Refusal
from vir.core.forms import options
from vir.core.i18n import by_name
from vir.core.labels import LETTER_LABELS
from vir.core.uploads import takes_files
from vir.documents.downloads import marked_response, send_stored
from vir.letters import operations as ops
from vir.letters import queries
from vir.letters.forms import AnswerForm, FinalForm, LetterForm, ReleaseForm, ShareForm
from vir.letters.models import Letter, LetterKind, Stage
from vir.letters.serialise import letter_dict, release_dict

bp = Blueprint("letters", __name__)


def _file(field: Any) -> Any:
    upload = request.files.get(field.name)
    return upload if upload and upload.filename else None


def _flash_errors(form: Any) -> None:
    for errors in form.errors.values():
        flash(str(errors[0]), "error")


def letter_form(activity: Any) -> LetterForm:
    """The form to start a draft, offering only the kinds this activity has not got yet."""
    taken = queries.by_kind(activity)
    form = LetterForm(prefix="lt")
    form.kind.choices = options(
        (k.value, LETTER_LABELS[k]) for k in ops.kinds_for(activity) if k.value not in taken
    )
    return form


def final_form(letter: Letter) -> FinalForm:
    """Consortium visits' final letters are published (guidance 000): ticked for them."""
    form = FinalForm(prefix="fn")
    if not form.is_submitted():
        form.for_publication.data = letter.kind == LetterKind.VISIT_LETTER
    return form


def release_form(letter: Letter) -> ReleaseForm:
    form = ReleaseForm(prefix="rl")
    locale = getattr(current_user, "locale", None) or "en"
    orgs = by_name(ops.stakeholder_orgs(), locale)
    form.organisations.choices = options((o.slug, o.name(locale)) for o in orgs)
    if not form.is_submitted():
        done = {r.organisation.slug for r in letter.releases}
        form.organisations.data = [
            o.slug for o in orgs if o.slug in done or o.slug in ops.DEFAULT_COPIES
        ]
    return form


@bp.post("/activities/<int:activity_id>/letters")
@takes_files
@login_required
def create(activity_id: int) -> Any:
    activity = load_activity(activity_id)
    require(
        can_draft_letters(current_user, activity.inspectors_folder.room),
        "letter.create",
        provider_id=activity.provider_id,
        object_type="activity",
        object_id=activity_id,
    )
    form = letter_form(activity)
    back = url_for("activities.page", activity_id=activity.id, _anchor="letters")
    upload = _file(form.file)
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(back)
    if upload is None:
        flash(_("Choose the file of the first draft."), "error")
        return redirect(back)
    try:
        letter = ops.create_letter(
            activity,
            form.kind.data or "",
            upload.stream,
            upload.filename,
            user=current_user,
            title=form.title.data or None,
        )
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(_("Draft started. Only inspectors can see it until you send it."), "success")
    return redirect(url_for("letters.page", letter_id=letter.id))


@bp.get("/letters/<int:letter_id>")
@login_required
def page(letter_id: int) -> str:
    letter = load_letter(letter_id, READ)
    data = letter_dict(letter)
    manage = data["may_manage"]
    stage = letter.stage(local_today(utcnow()))
    return render_template(
        "letters/letter.html",
        letter=letter,
        data=data,
        stage=stage,
        Stage=Stage,
        is_briefing=letter.kind == LetterKind.BRIEFING,
        room=letter.activity_room,
        activity=letter.activity,
        share_form=ShareForm(prefix="sh") if manage and stage == Stage.DRAFT else None,
        answer_form=AnswerForm(prefix="an") if data["may_answer"] else None,
        final_form=final_form(letter)
        if manage and stage == Stage.CHECKED and letter.kind != LetterKind.BRIEFING
        else None,
        release_form=release_form(letter) if manage and stage == Stage.FINAL else None,
    )


def _step(letter_id: int, right: str = WRITE) -> tuple[Letter, str]:
    letter = load_letter(letter_id, right)
    return letter, url_for("letters.page", letter_id=letter.id)


@bp.post("/letters/<int:letter_id>/share")
@login_required
def share(letter_id: int) -> Any:
    letter, back = _step(letter_id)
    form = ShareForm(prefix="sh")
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(back)
    try:
        ops.share(letter, current_user)
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(back)
    if letter.kind == LetterKind.BRIEFING:
        flash(_("Published in the Provider Area."), "success")
    else:
        flash(_("Sent to the provider for its factual-accuracy check."), "success")
    return redirect(back)


@bp.post("/letters/<int:letter_id>/answer")
@takes_files
@login_required
def answer(letter_id: int) -> Any:
    letter, back = _step(letter_id, READ)
    require(
        can_answer_check(current_user, letter),
        "letter.answer",
        provider_id=letter.activity.provider_id,
        object_type="letter",
        object_id=letter.id,
    )
    form = AnswerForm(prefix="an")
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(back)
    upload = _file(form.file)
    try:
        ops.answer_check(
            letter,
            current_user,
            form.answer.data or "",
            form.text.data or "",
            stream=upload.stream if upload else None,
            filename=upload.filename if upload else None,
        )
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(_("Thank you: your answer has gone to the inspectors."), "success")
    return redirect(back)


@bp.post("/letters/<int:letter_id>/final")
@takes_files
@login_required
def final(letter_id: int) -> Any:
    letter, back = _step(letter_id)
    form = FinalForm(prefix="fn")
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(back)
    upload = _file(form.file)
    try:
        ops.issue_final(
            letter,
            current_user,
            form.sent_on.data,
            stream=upload.stream if upload else None,
            filename=upload.filename if upload else None,
            for_publication=bool(form.for_publication.data),
        )
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(_("The final version is issued."), "success")
    return redirect(back)


@bp.post("/letters/<int:letter_id>/release")
@login_required
def release(letter_id: int) -> Any:
    letter, back = _step(letter_id)
    form = release_form(letter)
    if not form.validate_on_submit():
        _flash_errors(form)
        return redirect(back)
    chosen = set(form.organisations.data or [])
    orgs = [o for o in ops.stakeholder_orgs() if o.slug in chosen]
    try:
        made = ops.release(letter, current_user, orgs)
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(back)
    if made:
        flash(_("Released. Their users are told by email."), "success")
    else:
        flash(_("It had already been released to those organisations."), "success")
    return redirect(back)


@bp.get("/released")
@login_required
def released() -> str:
    """The stakeholder's list: final letters and records released to their organisation."""
    require(is_stakeholder(current_user), "letter.view_release", status=404)
    rows = [release_dict(x) for x in queries.released(current_user)]
    return render_template("letters/released.html", rows=rows)


def send_release(letter: Letter) -> Response:
    """The final version of a released letter (never an earlier one), audited."""
    document = letter.shared_document
    version = document.version(letter.final_version) if document else None
    if version is None:
        abort(404)
    marked = marked_response(document, version)
    record(
        "letter.download_release",
        object_type="letter",
        object_id=letter.id,
        provider_id=letter.activity.provider_id,
        version=version.version,
        marked=marked is not None,
    )
    db.session.commit()
    if marked is not None:
        return marked
    return send_stored(version.storage_key, version.filename, version.media_type)


@bp.get("/released/<int:letter_id>/download")
@login_required
def download_release(letter_id: int) -> Response:
    return send_release(load_release(letter_id))
