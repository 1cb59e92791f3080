from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vir.accounts.models import User
from vir.core.db import UTCDateTime, db, utcnow
from vir.rooms.models import Folder


class Category(enum.StrEnum):
    IMPROVEMENT_PLAN = "improvement_plan"
    ORGANISATION_STRUCTURE = "organisation_structure"
    SIGNIFICANT_REPORT = "significant_report"
    COUNCIL_PAPER = "council_paper"
    SELF_EVALUATION_REPORT = "self_evaluation_report"
    DATA = "data"
    OTHER = "other"


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Generated before any database write, so object keys can name the document without
    # holding a database lock during the upload.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(32), default=Category.OTHER)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    folder: Mapped[Folder] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.version",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])

    @property
    def current(self) -> DocumentVersion:
        return self.versions[-1]

    def version(self, number: int | None) -> DocumentVersion | None:
        if number is None:
            return self.current
        return next((v for v in self.versions if v.version == number), None)


class DocumentVersion(db.Model):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_backend: Mapped[str] = mapped_column(String(16))
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Snapshot of the uploader's organisation, for provenance that survives renames.
    uploaded_by_org: Mapped[str] = mapped_column(String(64), default="")
    # A paper shared after its conference's deadline under the one-week exception.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    late_reason: Mapped[str] = mapped_column(Text, default="")
    information_date: Mapped[date | None] = mapped_column(Date)
    # True: scanned for viruses by clamd; False: no scanner was configured (shown to everyone
    # as "not scanned"); None: stored before this was recorded.
    scanned: Mapped[bool | None] = mapped_column(Boolean)
    # PDF names that run something when the file is opened (javascript, openaction, ...),
    # comma-separated; such a file is never previewed inline.
    active_content: Mapped[str] = mapped_column(String(128), default="", server_default="")

    document: Mapped[Document] = relationship(back_populates="versions")
    uploaded_by: Mapped[User | None] = relationship()
