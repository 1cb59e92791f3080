from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vir.core.db import UTCDateTime, db, utcnow


class OrgKind(enum.StrEnum):
    INSPECTORATE = "inspectorate"
    LOCAL_AUTHORITY = "local_authority"
    CONSORTIUM = "consortium"
    PARTNER = "partner"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_cy: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    # A consortium serves a set of local authorities; this is the authority's side of that link.
    consortium_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consortium: Mapped[Organisation | None] = relationship(
        remote_side=[id], back_populates="members"
    )
    members: Mapped[list[Organisation]] = relationship(back_populates="consortium")

    def name(self, locale: str = "en") -> str:
        return self.name_cy if locale == "cy" and self.name_cy else self.name_en

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class Assignment(db.Model):
    """Gives an inspector or auditor (or, later, a partner) a provider to work with."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("user_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Organisation] = relationship()
