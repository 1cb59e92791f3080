from __future__ import annotations

from flask import Response
from flask_login import login_required

from vir.access import READ, load_folder
from vir.api.common import Blueprint, refusals
from vir.packs.responses import pack_response

blp = Blueprint("api_packs", __name__, url_prefix="/api/v1", description="Conference packs")


@blp.get("/folders/<int:folder_id>/pack")
@login_required
@blp.response(
    200,
    content_type="application/zip",
    description="a zip: the current version of every paper in the folder and its subfolders, "
    "with index.csv and index.html in Welsh and English",
)
def pack(folder_id: int) -> Response:
    """The folder as one zip (the conference pack), streamed; one download audited per paper."""
    folder = load_folder(folder_id, READ)
    with refusals():
        return pack_response(folder)
