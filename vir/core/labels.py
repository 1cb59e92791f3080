"""Translatable names for the stored codes (roles, kinds, areas), in one place."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "provider_editor": _l("Provider editor"),
    "provider_viewer": _l("Provider viewer"),
    "partner": _l("Partner"),
    "inspector": _l("Inspector"),
    "coordinator": _l("Inspection co-ordinator"),
    "auditor": _l("Auditor"),
    "stakeholder": _l("Stakeholder"),
    "admin": _l("Administrator"),
}

KIND_LABELS = {
    "inspectorate": _l("Inspectorate"),
    "local_authority": _l("Local authority"),
    "consortium": _l("Regional consortium"),
    "partner": _l("Partner"),
}

CATEGORY_LABELS = {
    "improvement_plan": _l("Improvement plan"),
    "organisation_structure": _l("Organisation structure"),
    "significant_report": _l("Significant report"),
    "council_paper": _l("Council paper"),
    "self_evaluation_report": _l("Self-evaluation report (SER)"),
    "data": _l("Data"),
    "other": _l("Other"),
}

ACTIVITY_LABELS = {
    "improvement_conference": _l("Improvement conference"),
    "progress_conference": _l("Progress conference"),
    "monitoring_visit": _l("Monitoring visit"),
    "consortium_follow_up_visit": _l("Consortium follow-up visit"),
}

# (label, the rule it comes from) for each milestone, from the guidance (shared/DOMAIN.md).
MILESTONES = {
    "formal_notification": (
        _l("Formal notification to the provider"),
        _l("Four working weeks (20 working days) before."),
    ),
    "papers_deadline": (
        _l("Papers deadline"),
        _l(
            "Papers are circulated no later than one week before; after that "
            "only information less than a week old may be tabled."
        ),
    ),
    "lead_inspector_briefing": (_l("Lead inspector’s briefing"), _l("Usually one week before.")),
    "outcome_letter": (_l("Outcome letter"), _l("Usually within two weeks after.")),
    "updated_plans": (
        _l("Updated plan(s) due"),
        _l(
            "No later than four working weeks from receipt of the outcome letter "
            "(set when the letter is recorded)."
        ),
    ),
    "next_progress_conference": (
        _l("Progress conference"),
        _l("About 12 to 18 months after the improvement conference."),
    ),
    "next_monitoring_visit": (
        _l("Monitoring visit"),
        _l("About a year after the last progress conference."),
    ),
    "visit_notification": (
        _l("Notification of the visit"),
        _l("At least four weeks ahead, not counting school holidays."),
    ),
    "draft_letter": (_l("Draft letter"), _l("Within 10 working days of the last day.")),
    "factual_accuracy": (
        _l("Factual-accuracy check"),
        _l("Five working days after the draft letter."),
    ),
    "final_letter": (_l("Final letter"), _l("Within 20 working days of the last day.")),
    "monitoring_report": (
        _l("Monitoring report"),
        _l("Published after the visit (20 working days planned)."),
    ),
}

LETTER_LABELS = {
    "conference_record": _l("Conference record"),
    "outcome_letter": _l("Outcome letter"),
    "visit_letter": _l("Visit letter"),
    "briefing": _l("Lead inspector’s briefing"),
}
LETTER_STAGES = {
    "draft": _l("Draft (inspectors only)"),
    "checking": _l("Draft for factual-accuracy check"),
    "checked": _l("Accuracy check closed"),
    "published": _l("Published to the provider"),
    "final": _l("Final"),
}
ANSWER_LABELS = {
    "no_errors": _l("No factual errors"),
    "corrections": _l("Corrections"),
}

INDEX_LABELS = {
    "pending": _l("Waiting to be indexed"),
    "indexed": _l("Indexed"),
    "no_text": _l("No text to index"),
    "partial": _l("Partly indexed"),
    "failed": _l("Could not be indexed"),
}

# Why a document's text is not all searchable (codes of vir.search.extract.NOTES).
INDEX_REASONS = {
    "truncated": _l(
        "Only the beginning of its text is searchable: the text is longer than "
        "this service indexes."
    ),
    "pdf_pages": _l("Only the first 2,000 pages are searchable."),
    "ocr_pages": _l("This is a scan: only its first pages were read by text recognition."),
    "ocr_time": _l(
        "This is a scan: text recognition reached its time limit, so only part of it is searchable."
    ),
    "ocr": _l("This is a scan: its text was read by text recognition and may contain mistakes."),
    "scan_no_ocr": _l("This is a scan; text recognition is not available on this server."),
    "image_no_ocr": _l("This is an image; text recognition is not available on this server."),
    "no_text": _l("There is no text in this file."),
    "image_too_large": _l("The image is too large to read."),
    "timeout": _l("Reading the file took too long."),
    "too_big": _l("The file expands too far to read."),
    "memory": _l("The file needs too much memory to read."),
    "encrypted": _l("The file is protected by a password."),
    "unreadable": _l("The file could not be read."),
    "storage": _l("The file could not be fetched from storage."),
}


def index_reason(code: str | None) -> str:
    """The reason in the reader's language; a reason stored before codes, as it was."""
    if not code:
        return ""
    label = INDEX_REASONS.get(code)
    return str(label) if label is not None else code


# What a PDF's active content does, as vir.documents.validation names it.
ACTIVE_LABELS = {
    "javascript": _l("JavaScript"),
    "openaction": _l("an action when it is opened"),
    "additional-actions": _l("actions on pages or fields"),
    "launch": _l("launching a program"),
    "richmedia": _l("embedded media"),
    "xfa": _l("an XML form"),
    "uninspected": _l("parts VIR could not check"),
}


def active_labels(kinds: str | None) -> str:
    """Stored kinds ("javascript,openaction") in the reader's language."""
    return ", ".join(str(ACTIVE_LABELS.get(k, k)) for k in (kinds or "").split(",") if k)


# Audit actions as people read them; the code stays beside it (it is what the filter and the
# CSV use). An action not listed shows its code.
AUDIT_ACTIONS = {
    "login": _l("Signed in"),
    "login.failed": _l("Sign-in failed"),
    "login.throttled": _l("Sign-in held back"),
    "logout": _l("Signed out"),
    "token.create": _l("API token issued"),
    "token.revoke": _l("API token revoked"),
    "user.create": _l("Account created"),
    "user.disable": _l("Account disabled"),
    "user.enable": _l("Account enabled"),
    "user.password": _l("Password changed"),
    "user.password_link": _l("Set-password link sent"),
    "user.totp_enabled": _l("Two-step verification turned on"),
    "user.totp_disabled": _l("Two-step verification turned off"),
    "user.roles": _l("Roles changed"),
    "org.create": _l("Organisation created"),
    "assignment.create": _l("Inspector assigned"),
    "assignment.delete": _l("Inspector unassigned"),
    "room.create": _l("Room opened"),
    "room.view": _l("Room opened to read"),
    "room.write": _l("Room changed"),
    "folder.create": _l("Folder created"),
    "folder.rename": _l("Folder renamed"),
    "folder.delete": _l("Folder deleted"),
    "folder.view": _l("Folder viewed"),
    "folder.write": _l("Folder changed"),
    "folder.pack": _l("Conference pack downloaded"),
    "document.upload": _l("Document uploaded"),
    "document.new_version": _l("New version uploaded"),
    "document.view": _l("Document viewed"),
    "document.download": _l("Document downloaded"),
    "document.preview": _l("Document previewed"),
    "document.compare": _l("Versions compared"),
    "document.edit": _l("Details changed"),
    "document.move": _l("Document moved"),
    "document.delete": _l("Moved to the trash"),
    "document.trash": _l("Trash viewed"),
    "document.restore": _l("Restored from the trash"),
    "document.purge": _l("Removed for good"),
    "document.write": _l("Document changed"),
    "document.comment": _l("Comment added"),
    "document.note": _l("Inspectors’ note added"),
    "activity.create": _l("Activity recorded"),
    "activity.update": _l("Activity changed"),
    "activity.view": _l("Activity viewed"),
    "activity.extend_deadline": _l("Papers deadline extended"),
    "activity.outcome_letter": _l("Outcome letter recorded"),
    "forward.create": _l("Evidence forwarded"),
    "forward.view": _l("Forwarded evidence viewed"),
    "forward.download": _l("Forwarded evidence downloaded"),
    "forward.preview": _l("Forwarded evidence previewed"),
    "forward.accept": _l("Forwarded evidence accepted"),
    "forward.decline": _l("Forwarded evidence declined"),
    "forward.decide": _l("Forwarded evidence decided"),
    "forward.withdraw": _l("Forwarded evidence withdrawn"),
    "forward.inbox": _l("Forwarded evidence inbox viewed"),
    "forward.purge": _l("Forwarded file removed for good"),
    "letter.create": _l("Draft started"),
    "letter.view": _l("Record or letter viewed"),
    "letter.write": _l("Record or letter changed"),
    "letter.send_for_check": _l("Draft sent for factual-accuracy check"),
    "letter.publish": _l("Briefing published to the provider"),
    "letter.answer": _l("Factual-accuracy check answered"),
    "letter.final": _l("Final version issued"),
    "letter.release": _l("Released to a stakeholder"),
    "letter.view_release": _l("Released letter viewed"),
    "letter.download_release": _l("Released letter downloaded"),
    "audit.view": _l("Audit log viewed"),
    "admin.view": _l("Administration viewed"),
}
OBJECT_LABELS = {
    "document": _l("Document"),
    "folder": _l("Folder"),
    "room": _l("Room"),
    "activity": _l("Activity"),
    "forward": _l("Forwarded evidence"),
    "letter": _l("Record or letter"),
    "user": _l("Account"),
    "organisation": _l("Organisation"),
    "token": _l("API token"),
}


def audit_action(code: str | None) -> str:
    label = AUDIT_ACTIONS.get(code or "")
    return str(label) if label is not None else (code or "")


def object_label(kind: str | None) -> str:
    label = OBJECT_LABELS.get(kind or "")
    return str(label) if label is not None else (kind or "")


FORWARD_LABELS = {
    "pending": _l("Waiting for a decision"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}
FORWARD_TAGS = {
    "pending": "govuk-tag--blue",
    "accepted": "govuk-tag--green",
    "declined": "govuk-tag--red",
    "withdrawn": "govuk-tag--grey",
}

# Short names people know file types by, for document lists.
TYPE_LABELS = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint",
    "application/msword": "Word 97–2003",
    "application/vnd.ms-excel": "Excel 97–2003",
    "application/vnd.ms-powerpoint": "PowerPoint 97–2003",
    "application/vnd.oasis.opendocument.text": "ODT",
    "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    "application/vnd.oasis.opendocument.presentation": "ODP",
    "text/rtf": "RTF",
    "text/plain": "TXT",
    "text/csv": "CSV",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
}


def type_label(media_type: str) -> str:
    return TYPE_LABELS.get(media_type, media_type)


AREA_LABELS = {
    "provider": _l("Provider Area"),
    "inspectors": _l("Link Inspectors area"),
}


def role_labels(user: object) -> str:
    return ", ".join(str(ROLE_LABELS[r]) for r in sorted(getattr(user, "roles", ())))


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        ROLE_LABELS=ROLE_LABELS,
        KIND_LABELS=KIND_LABELS,
        AREA_LABELS=AREA_LABELS,
        CATEGORY_LABELS=CATEGORY_LABELS,
        ACTIVITY_LABELS=ACTIVITY_LABELS,
        MILESTONES=MILESTONES,
        INDEX_LABELS=INDEX_LABELS,
        FORWARD_LABELS=FORWARD_LABELS,
        FORWARD_TAGS=FORWARD_TAGS,
        LETTER_LABELS=LETTER_LABELS,
        LETTER_STAGES=LETTER_STAGES,
        ANSWER_LABELS=ANSWER_LABELS,
    )
    app.jinja_env.filters["role_labels"] = role_labels
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["type_label"] = type_label
    app.jinja_env.filters["index_reason"] = index_reason
    app.jinja_env.filters["active_labels"] = active_labels
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["audit_action"] = audit_action
    app.jinja_env.filters["object_label"] = object_label


def number(n: int) -> str:
    """A count as the reader's language writes it (1,000)."""
    from flask_babel import format_decimal

    return format_decimal(n)


def filesize(n: int) -> str:
    """Sizes as people read them (1 KB = 1000 bytes, as operating systems now show)."""
    from flask_babel import format_decimal, ngettext

    if n < 1000:
        return ngettext("%(num)d byte", "%(num)d bytes", n)
    value = float(n) / 1000
    for unit in ("KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{format_decimal(round(value, 1))} {unit}"
        value /= 1000
    return f"{n}"
