from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from vir.comments.models import Comment


def comment_dict(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "version": c.version.version,
        "author": c.author.name if c.author else _("a former user"),
        "organisation": c.author_org,
        "created_at": c.created_at,
        "body": c.body,
        "replies": [comment_dict(r) for r in c.replies],
    }
