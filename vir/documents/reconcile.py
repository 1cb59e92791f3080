"""Finding what a crash or a lost connection left behind: objects without rows (orphans),
rows whose object is missing, and objects whose SHA-256 no longer matches their row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from vir.core.db import db, utcnow
from vir.documents.models import DocumentVersion
from vir.storage import StorageError, get_storage

# Documents live under rooms/, forwarded evidence awaiting a decision under forwards/.
PREFIXES = ("rooms/", "forwards/")


@dataclass
class Report:
    orphans: list[str] = field(default_factory=list)
    young_orphans: list[str] = field(default_factory=list)  # may be uploads still committing
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.mismatched)


def reconcile(
    *,
    fix: bool = False,
    verify: bool = True,
    grace_minutes: int | None = None,
    progress: Callable[[Iterable[Any]], Any] | None = None,
) -> Report:
    storage = get_storage()
    grace = timedelta(
        minutes=grace_minutes
        if grace_minutes is not None
        else current_app.config["VIR_ORPHAN_GRACE_MINUTES"]
    )
    from vir.forwards.models import Forward

    rows = {
        v.storage_key: v.sha256
        for v in db.session.scalars(
            select(DocumentVersion).where(DocumentVersion.storage_backend == storage.name)
        )
    }
    rows.update(
        {
            f.storage_key: f.sha256
            for f in db.session.scalars(
                select(Forward).where(
                    Forward.storage_backend == storage.name, Forward.purged_at.is_(None)
                )
            )
        }
    )
    objects = {o.key: o for prefix in PREFIXES for o in storage.list(prefix)}
    report = Report()
    now = utcnow()
    for key, listed in sorted(objects.items()):
        if key in rows:
            continue
        if now - listed.last_modified >= grace:
            report.orphans.append(key)
        else:
            report.young_orphans.append(key)
    report.missing = sorted(k for k in rows if k not in objects)
    present = sorted(k for k in rows if k in objects)
    items: Iterable[str] = progress(present) if (progress and verify) else present
    if verify:
        for key in items:
            try:
                if storage.sha256(key) != rows[key]:
                    report.mismatched.append(key)
            except StorageError:
                report.missing.append(key)
            report.checked += 1
    if fix:
        for key in report.orphans:
            storage.delete(key)
            report.removed.append(key)
    return report
