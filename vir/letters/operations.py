"""Writing records, letters and briefings, each step audited: draft (Link Inspectors area),
share for a factual-accuracy check or publish (a copy in the Provider Area), the provider's
one answer, the final version, and release to stakeholders."""

from __future__ import annotations

import secrets
from datetime import date
from typing import IO, Any

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from vir.accounts.models import User
from vir.activities.models import Activity, ActivityKind
from vir.audit.operations import record
from vir.calendar import accuracy_check_due, check_open, local_today, sent_date_invalid
from vir.core.db import db, utcnow
from vir.core.errors import Refusal
from vir.core.labels import LETTER_LABELS, number
from vir.core.text import clean_text
from vir.documents.models import Category, Document, DocumentVersion
from vir.documents.operations import (
    add_version,
    object_key,
    record_or_remove,
    remove_quietly,
    upload_document,
    version_row,
)
from vir.letters.models import Answer, Letter, LetterKind, LetterRelease, Stage
from vir.orgs.models import Organisation, OrgKind
from vir.rooms.models import Area, Folder
from vir.rooms.operations import create_folder
from vir.storage import StorageError, get_storage

LETTERS_FOLDER = ("Records and letters", "Cofnodion a llythyrau")
MAX_ANSWER = 20_000

# What each kind of activity produces (the guidance: 001 to the monitoring visit, and 000).
KINDS: dict[str, list[LetterKind]] = {
    ActivityKind.IMPROVEMENT_CONFERENCE: [
        LetterKind.BRIEFING,
        LetterKind.CONFERENCE_RECORD,
        LetterKind.OUTCOME_LETTER,
    ],
    ActivityKind.PROGRESS_CONFERENCE: [
        LetterKind.BRIEFING,
        LetterKind.CONFERENCE_RECORD,
        LetterKind.OUTCOME_LETTER,
    ],
    ActivityKind.MONITORING_VISIT: [LetterKind.BRIEFING, LetterKind.OUTCOME_LETTER],
    ActivityKind.CONSORTIUM_FOLLOW_UP_VISIT: [LetterKind.BRIEFING, LetterKind.VISIT_LETTER],
}


def kinds_for(activity: Activity) -> list[LetterKind]:
    return KINDS.get(activity.kind, [])


def check_working_days(letter: Letter) -> int:
    if letter.kind == LetterKind.VISIT_LETTER:
        return 5  # "five working days" for a consortium's check, per the guidance (000)
    return int(current_app.config.get("VIR_ACCURACY_CHECK_WORKING_DAYS") or 5)


def _audit(action: str, letter: Letter, **details: Any) -> None:
    record(
        action,
        object_type="letter",
        object_id=letter.id,
        provider_id=letter.activity.provider_id,
        kind=letter.kind,
        **details,
    )


def create_letter(
    activity: Activity,
    kind: str,
    stream: IO[bytes],
    filename: str | None,
    *,
    user: User,
    title: str | None = None,
) -> Letter:
    """Start a record, letter or briefing from its first draft, uploaded into the activity's
    Link Inspectors folder; one of each kind per activity."""
    if kind not in kinds_for(activity):
        raise Refusal(_("Choose what you are drafting from the list."), "validation_error", 422)
    if _existing(activity, kind) is not None:
        raise Refusal(
            _("This activity already has one. Add a new version to its draft instead."),
            "letter_exists",
        )
    label = str(LETTER_LABELS[kind])
    made = upload_document(
        activity.inspectors_folder,
        stream,
        filename,
        user=user,
        title=title or label,
        category=Category.OTHER,
    )
    letter = Letter(
        activity=activity,
        activity_id=activity.id,
        kind=kind,
        draft_document_id=made.document.id,
        created_by_id=user.id,
    )
    db.session.add(letter)
    try:
        db.session.flush()
    except IntegrityError as exc:  # another inspector started the same one at the same moment
        db.session.rollback()
        raise Refusal(
            _("This activity already has one. Add a new version to its draft instead."),
            "letter_exists",
        ) from exc
    _audit("letter.create", letter, document=made.document.id)
    db.session.commit()
    return letter


def _existing(activity: Activity, kind: str) -> Letter | None:
    return db.session.scalar(
        select(Letter).where(Letter.activity_id == activity.id, Letter.kind == kind)
    )


def letters_folder(activity: Activity, user: User | None) -> Folder:
    """The Provider Area folder for what the inspectors share, inside the papers folder
    (made the first time something is shared)."""
    if activity.letters_folder is None:
        folder = create_folder(
            activity.provider_folder.room,
            Area.PROVIDER,
            LETTERS_FOLDER[0],
            name_cy=LETTERS_FOLDER[1],
            parent=activity.provider_folder,
            user=user,
        )
        activity.letters_folder = folder
        activity.letters_folder_id = folder.id
        db.session.flush()
    return activity.letters_folder


def _copy_version(source: DocumentVersion, document: Document, number: int, user: User) -> str:
    """A version whose bytes are a copy of another's, made inside the store."""
    key = object_key(document.folder, document.uid, number)
    try:
        get_storage().copy(source.storage_key, key)
    except StorageError as exc:
        raise Refusal(
            _("The file could not be copied just now, so nothing was shared. Try again."),
            "storage_unavailable",
            503,
        ) from exc
    version = version_row(document, number, key, source, user)
    version.uploaded_at = utcnow()
    db.session.add(version)
    return key


def share(letter: Letter, user: User) -> Letter:
    """Put the draft's current version in the Provider Area: for a factual-accuracy check
    (due in working days from today), or, for a briefing, published as it is. Only the
    version shared goes across; earlier drafts stay with the inspectors."""
    if letter.shared_document_id is not None:
        raise Refusal(_("This has already been shared with the provider."), "already_shared")
    draft = letter.draft_document
    if draft.deleted_at is not None:
        raise Refusal(_("Its draft is in the trash: restore it first."), "draft_in_trash")
    from vir.documents import watermark

    if (
        letter.kind != LetterKind.BRIEFING
        and watermark.mode() != "off"
        and draft.current.media_type != "application/pdf"
    ):
        # A draft under check is given out only with its reader's name on every page, and
        # only a PDF can carry that mark.
        raise Refusal(
            _(
                "A draft goes for its factual-accuracy check as a PDF, so that every copy "
                "carries its reader's name: add the draft as a PDF (a new version) first."
            ),
            "pdf_required",
            422,
        )
    activity = letter.activity
    folder = letters_folder(activity, user)
    document = Document(
        uid=secrets.token_hex(16),
        folder=folder,
        folder_id=folder.id,
        title=draft.title,
        category=Category.OTHER,
        description=draft.description,
        created_by_id=user.id,
    )
    now = utcnow()
    key = _copy_version(draft.current, document, 1, user)

    def write() -> None:
        db.session.add(document)
        db.session.flush()
        letter.shared_document_id = document.id
        letter.shared_at = now
        letter.shared_by_id = user.id
        if letter.kind != LetterKind.BRIEFING:
            letter.check_due_on = accuracy_check_due(now, check_working_days(letter))
        _audit(
            "letter.publish" if letter.kind == LetterKind.BRIEFING else "letter.send_for_check",
            letter,
            document=document.id,
            draft_version=draft.current.version,
            due_on=letter.check_due_on.isoformat() if letter.check_due_on else None,
        )

    record_or_remove(key, write)
    notify(letter.id)
    return letter


def answer_check(
    letter: Letter,
    user: User,
    answer: str,
    text: str = "",
    *,
    stream: IO[bytes] | None = None,
    filename: str | None = None,
) -> Letter:
    """The provider's one answer to an accuracy check, by its due date: no factual errors,
    or corrections (text, and optionally a marked-up file, kept beside the draft)."""
    now = utcnow()
    if letter.check_due_on is None or letter.final_version is not None:
        raise Refusal(_("There is no accuracy check to answer."), "no_check")
    if letter.answer is not None:
        raise Refusal(_("The accuracy check has already been answered."), "already_answered")
    if not check_open(letter.check_due_on, now):
        raise Refusal(
            _(
                "The accuracy check closed on %(date)s, so it can no longer be answered.",
                date=format_date(letter.check_due_on, "d MMMM y"),
            ),
            "check_closed",
        )
    if answer not in set(Answer):
        raise Refusal(_("Say whether there are factual errors."), "validation_error", 422, "answer")
    body = clean_text(text or "").strip()
    if answer == Answer.CORRECTIONS and not body and stream is None:
        raise Refusal(
            _("List the corrections, or attach the draft marked up with them."),
            "validation_error",
            422,
            "text",
        )
    if len(body) > MAX_ANSWER:
        raise Refusal(
            _("Corrections can be at most %(num)s characters.", num=number(MAX_ANSWER)),
            "too_long",
            422,
            "text",
        )
    attached = None
    if answer == Answer.CORRECTIONS and stream is not None:
        label = LETTER_LABELS[letter.kind]
        attached = upload_document(
            letters_folder(letter.activity, user),
            stream,
            filename,
            user=user,
            title=_("Corrections: %(what)s", what=label),
            category=Category.OTHER,
        ).document
    # One answer only: the row is changed only if no one answered first (two editors at
    # the same moment, on any database).
    won = db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.answer.is_(None))
        .values(
            answer=answer,
            answer_text=body if answer == Answer.CORRECTIONS else "",
            answer_document_id=attached.id if attached else None,
            answered_at=now,
            answered_by_id=user.id,
        )
    ).rowcount
    if not won:
        db.session.rollback()
        if attached is not None:
            key = attached.current.storage_key
            db.session.delete(attached)
            db.session.commit()
            remove_quietly(key)
        raise Refusal(_("The accuracy check has already been answered."), "already_answered")
    db.session.refresh(letter)
    _audit("letter.answer", letter, answer=answer, document=attached.id if attached else None)
    db.session.commit()
    notify(letter.id)
    return letter


def issue_final(
    letter: Letter,
    user: User,
    sent_on: date,
    *,
    stream: IO[bytes] | None = None,
    filename: str | None = None,
    for_publication: bool = False,
) -> Letter:
    """The final version: a new version of the shared document (the file given, or the
    draft's current version), marked final with the date it was sent."""
    now = utcnow()
    if letter.kind == LetterKind.BRIEFING:
        raise Refusal(_("A briefing is published as it is; it has no final version."), "briefing")
    if letter.final_version is not None:
        raise Refusal(_("The final version has already been issued."), "already_final")
    stage = letter.stage(local_today(now))
    if stage == Stage.DRAFT:
        raise Refusal(_("Send the draft for its factual-accuracy check first."), "not_checked")
    if stage == Stage.CHECKING:
        raise Refusal(
            _(
                "The factual-accuracy check is open until %(date)s: wait for the answer or "
                "for the check to close.",
                date=format_date(letter.check_due_on, "d MMMM y"),
            ),
            "check_open",
        )
    if sent_date_invalid(sent_on, now, letter.shared_at or letter.activity.starts_at):
        raise Refusal(
            _("The date it was sent must be between the day the draft was shared and today."),
            "validation_error",
            422,
            "sent_on",
        )
    shared = letter.shared_document
    assert shared is not None  # a shared stage has its document

    def mark(version: int) -> None:
        letter.final_version = version
        letter.final_sent_on = sent_on
        letter.final_at = now
        letter.for_publication = bool(for_publication)
        _audit(
            "letter.final",
            letter,
            version=version,
            sent_on=sent_on.isoformat(),
            for_publication=letter.for_publication,
        )

    if stream is not None:
        mark(add_version(shared, stream, filename, user=user).version.version)
        db.session.commit()
    else:
        version = shared.current.version + 1
        key = _copy_version(letter.draft_document.current, shared, version, user)
        record_or_remove(key, lambda: mark(version), racing=True)
    return letter


def stakeholder_orgs() -> list[Organisation]:
    """Organisations a letter may be released to: the partner bodies (Welsh Government,
    Audit Wales, WLGA, CIW)."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.PARTNER)
            .order_by(Organisation.name_en)
        )
    )


# Copies of letters go to these by default; CIW "where relevant" is the inspector's choice.
DEFAULT_COPIES = ("welsh-government", "audit-wales", "wlga")


def release(
    letter: Letter, user: User, organisations: list[Organisation | None]
) -> list[LetterRelease]:
    """Release a final record or letter to stakeholder organisations (each once); None in
    the list stands for a name that is no organisation, and is refused like any other."""
    if letter.final_version is None:
        raise Refusal(_("Only a final version can be released."), "not_final")
    allowed = {o.id for o in stakeholder_orgs()}
    if not organisations or any(o is None or o.id not in allowed for o in organisations):
        raise Refusal(
            _("Choose at least one organisation from the list."), "validation_error", 422, "orgs"
        )
    done = {r.org_id for r in letter.releases}
    made = []
    for org in organisations:
        assert org is not None  # refused above
        if org.id in done:
            continue
        row = LetterRelease(letter=letter, org_id=org.id, released_by_id=user.id)
        db.session.add(row)
        made.append(row)
    db.session.flush()
    for row in made:
        _audit("letter.release", letter, org=db.session.get(Organisation, row.org_id).slug)
    db.session.commit()
    notify(letter.id)
    return made


def notify(letter_id: int) -> None:
    """Mail about the letter goes through the task queue now; the periodic run retries."""
    import logging

    from vir.core.tasks import send_letter_mail

    try:
        send_letter_mail(letter_id)
    except Exception:  # mail must never undo what is already committed
        logging.getLogger(__name__).exception("could not queue mail for letter %s", letter_id)
