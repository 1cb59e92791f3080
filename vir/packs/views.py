"""Downloading a folder as one zip (the conference pack)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_login import login_required

from vir.access import READ, load_folder
from vir.core.errors import Refusal
from vir.packs.responses import pack_response

bp = Blueprint("packs", __name__)


@bp.get("/rooms/folders/<int:folder_id>/pack")
@login_required
def pack(folder_id: int) -> Any:
    folder = load_folder(folder_id, READ)
    try:
        return pack_response(folder)
    except Refusal as exc:
        flash(exc.message, "error")
        return redirect(url_for("rooms.folder", folder_id=folder.id))
