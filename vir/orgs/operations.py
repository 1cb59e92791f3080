"""Organisation writes."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from vir.audit.operations import record
from vir.core.db import db
from vir.orgs.models import Organisation, OrgKind

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class OrgError(ValueError):
    """An organisation change that cannot be made; the message is for the user."""


def by_slug(slug: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


def create_org(
    slug: str,
    name_en: str,
    kind: str,
    *,
    name_cy: str | None = None,
    consortium: Organisation | None = None,
    with_room: bool | None = None,
) -> Organisation:
    """Add an organisation; local authorities (and consortia asked for) get a room."""
    from vir.rooms.operations import open_room

    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise OrgError(_("A short name uses lower-case letters, digits and hyphens only."))
    if kind not in set(OrgKind):
        raise OrgError(_("Unknown kind of organisation: %(kind)s.", kind=kind))
    if by_slug(slug):
        raise OrgError(_("An organisation called %(slug)s already exists.", slug=slug))
    if consortium is not None:
        if kind != OrgKind.LOCAL_AUTHORITY:
            raise OrgError(_("Only a local authority is served by a consortium."))
        if consortium.kind != OrgKind.CONSORTIUM:
            raise OrgError(_("%(slug)s is not a consortium.", slug=consortium.slug))
    org = Organisation(
        slug=slug,
        name_en=name_en.strip(),
        name_cy=(name_cy or name_en).strip(),
        kind=kind,
        consortium=consortium,
    )
    db.session.add(org)
    db.session.flush()
    record("org.create", object_type="organisation", object_id=slug, kind=kind)
    if with_room if with_room is not None else kind == OrgKind.LOCAL_AUTHORITY:
        open_room(org)
    return org
