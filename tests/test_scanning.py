"""Virus scanning against a real clamd: infected refused and logged, clean accepted, and a
configured scanner that cannot be reached refuses the upload rather than skipping the scan."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from tests import files


@pytest.fixture
def app_config(clamd_socket: Any) -> dict:
    return {"VIR_CLAMD_SOCKET": str(clamd_socket)}


def _upload(client: Any, headers: dict, folder: int, name: str, data: bytes) -> Any:
    return client.post(
        f"/api/v1/folders/{folder}/documents",
        headers=headers,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_infected_file_is_refused_and_logged(app, client, auth, world, caplog):
    headers = auth.token("provider_editor")
    folder = world.folders[("cardiff", "provider")]
    with caplog.at_level(logging.WARNING, logger="vir.documents.scanning"):
        r = _upload(client, headers, folder, "eicar.txt", files.EICAR)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "infected" and "VIR-Test-EICAR" in err["message"]
    assert any("infected upload refused" in m for m in caplog.messages)
    clean = _upload(client, headers, folder, "plan.pdf", files.pdf())
    assert clean.status_code == 201


def test_unreachable_scanner_refuses_uploads(app, client, auth, world, tmp_path):
    app.config["VIR_CLAMD_SOCKET"] = str(tmp_path / "no-such.sock")  # clamd went away
    r = _upload(
        client,
        auth.token("provider_editor"),
        world.folders[("cardiff", "provider")],
        "plan.pdf",
        files.pdf(),
    )
    assert r.status_code == 503
    assert r.get_json()["error"]["code"] == "scanner_unavailable"
    listing = client.get(
        f"/api/v1/folders/{world.folders[('cardiff', 'provider')]}/documents",
        headers=auth.token("provider_editor"),
    ).get_json()
    assert [d["filename"] for d in listing] == ["cardiff-provider.pdf"]
