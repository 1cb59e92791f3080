"""Virus scanning through clamd's INSTREAM command, when a scanner is configured.

The protocol is a few lines (a length-prefixed stream over a socket), so it is spoken here
rather than through the unmaintained ``clamd`` package. A configured scanner that cannot be
reached refuses the upload: nothing is ever accepted unscanned.
"""

from __future__ import annotations

import logging
import socket
import struct
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from vir.documents.validation import UploadRefused

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
TIMEOUT = 120


def _connect() -> socket.socket | None:
    cfg = current_app.config
    if cfg.get("VIR_CLAMD_SOCKET"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(TIMEOUT)
            sock.connect(cfg["VIR_CLAMD_SOCKET"])
        except OSError:
            sock.close()
            raise
        return sock
    if cfg.get("VIR_CLAMD_HOST"):
        return socket.create_connection(
            (cfg["VIR_CLAMD_HOST"], cfg["VIR_CLAMD_PORT"]), timeout=TIMEOUT
        )
    return None


def scan_file(path: Path, filename: str) -> bool:
    """Raise UploadRefused if the file is infected or cannot be scanned; True once scanned,
    False when no scanner is configured (the file is then marked "not scanned")."""
    unavailable = UploadRefused(
        _("The virus scanner is not available, so the file was not accepted. Try again later."),
        "scanner_unavailable",
        503,
    )
    try:
        sock = _connect()
    except OSError as exc:
        log.error("clamd unreachable: %s", exc)
        raise unavailable from exc
    if sock is None:
        return False
    try:
        with sock, path.open("rb") as fh:
            sock.sendall(b"zINSTREAM\0")
            while chunk := fh.read(CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as exc:
        log.error("clamd failed while scanning %s: %s", filename, exc)
        raise unavailable from exc
    answer = reply.rstrip(b"\0").decode("utf-8", "replace")
    if answer.endswith("OK"):
        return True
    if "size limit exceeded" in answer.lower():
        # clamd's StreamMaxLength: the file is larger than the scanner will read
        raise UploadRefused(
            _(
                "“%(name)s” is larger than the virus scanner accepts, so it was not accepted.",
                name=filename,
            ),
            "too_large_to_scan",
            413,
        )
    if answer.endswith("FOUND"):
        signature = answer.removeprefix("stream: ").removesuffix(" FOUND")
        log.warning("infected upload refused: %s (%s)", filename, signature)
        raise UploadRefused(
            _(
                "“%(name)s” contains a virus or malware (%(signature)s) and was refused.",
                name=filename,
                signature=signature,
            ),
            "infected",
            422,
        )
    log.error("clamd could not scan %s: %s", filename, answer)
    raise UploadRefused(
        _(
            "“%(name)s” could not be scanned for viruses (%(reason)s), so it was not accepted.",
            name=filename,
            reason=answer,
        ),
        "scan_failed",
        422,
    )
