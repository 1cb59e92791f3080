from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vir.core.db import UTCDateTime, db, utcnow
from vir.orgs.models import Organisation


class Area(enum.StrEnum):
    PROVIDER = "provider"
    INSPECTORS = "inspectors"


class Room(db.Model):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Organisation] = relationship()
    folders: Mapped[list[Folder]] = relationship(back_populates="room", order_by="Folder.name")

    @property
    def slug(self) -> str:
        return self.provider.slug


class Folder(db.Model):
    __tablename__ = "folders"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("folders.id", ondelete="CASCADE"), index=True
    )
    # The English name, and the Welsh one where the folder has one (VIR names the folders it
    # makes in both languages; a folder a person names has the one name they gave it).
    name: Mapped[str] = mapped_column(String(200))
    name_cy: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    room: Mapped[Room] = relationship(back_populates="folders")
    parent: Mapped[Folder | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Folder]] = relationship(back_populates="parent", order_by="Folder.name")

    def __repr__(self) -> str:
        return f"<Folder {self.id} {self.area}:{self.name}>"

    def label(self, locale: str | None = None) -> str:
        """The folder's name in this language (the reader's if none is given)."""
        if locale is None:
            from vir.core.i18n import locale as current

            locale = current()
        return self.name_cy if locale == "cy" and self.name_cy else self.name
