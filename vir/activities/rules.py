"""The one-week rule, applied to a paper arriving in a folder. The date arithmetic is in
vir.calendar; this decides which folders it governs and what the uploader is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from vir.activities.operations import for_folder
from vir.calendar import PaperDecision, decide_paper, local_today, updated_plans_due
from vir.core.i18n import in_sentence
from vir.documents.validation import UploadRefused
from vir.rooms.models import Folder


@dataclass(frozen=True)
class LateDeclaration:
    information_date: date | None
    reason: str = ""

    @classmethod
    def given(cls, information_date: date | None, reason: str | None) -> LateDeclaration | None:
        """The declaration a form or API call made, or None when it made none."""
        if information_date is None and not reason:
            return None
        return cls(information_date, reason or "")


@dataclass(frozen=True)
class PaperOutcome:
    late: bool = False
    reason: str = ""
    information_date: date | None = None


ON_TIME = PaperOutcome()


def check_paper(folder: Folder, now: datetime, declaration: LateDeclaration | None) -> PaperOutcome:
    """Raise UploadRefused (409) if the rule refuses the paper; else say whether it is late.

    Only an activity's Provider Area papers folder is governed: the Link Inspectors area never
    is, and the post-conference folder shows lateness against the updated-plans milestone
    rather than refusing."""
    found = for_folder(folder)
    if found is None:
        return ON_TIME
    activity, part = found
    if part == "post":
        received = activity.outcome_letter_received_on
        if received and local_today(now) > updated_plans_due(received):
            # Late here is shown, never refused: inspectors want the updated plans anyway.
            return PaperOutcome(
                late=True,
                reason=_(
                    "Shared after the updated plans were due (%(due)s).",
                    due=format_date(updated_plans_due(received), "d MMMM y"),
                ),
            )
        return ON_TIME
    if part != "papers":
        return ON_TIME
    deadline = activity.papers_deadline
    information_date = declaration.information_date if declaration else None
    reason = (declaration.reason if declaration else "").strip()
    decision = decide_paper(now, deadline, activity.starts_at, information_date)
    when = in_sentence(format_datetime(deadline, "EEEE d MMMM y, HH:mm"))
    if decision == PaperDecision.ON_TIME:
        return ON_TIME
    if decision == PaperDecision.REFUSED_CLOSED:
        raise UploadRefused(
            _(
                "The activity has started, so its papers folder is closed. Share updated plans "
                "in the folder for after the conference."
            ),
            "papers_closed",
            409,
        )
    if decision == PaperDecision.REFUSED_DEADLINE:
        raise UploadRefused(
            _(
                "Papers for this activity were due by %(when)s (one week before it starts). "
                "After that only information that is itself less than a week old can be shared: "
                "give its date and a short reason, and it will be marked late.",
                when=when,
            ),
            "paper_deadline_passed",
            409,
        )
    if decision == PaperDecision.REFUSED_DECLARATION or not reason:
        raise UploadRefused(
            _(
                "A late paper needs the date of its information (on or after %(when)s, and not "
                "in the future) and a short reason.",
                when=when,
            ),
            "late_declaration_invalid",
            409,
        )
    return PaperOutcome(late=True, reason=reason[:1000], information_date=information_date)
