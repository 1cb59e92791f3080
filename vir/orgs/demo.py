"""Demo data: the 22 Welsh local authorities, the regional consortia, Estyn, partners, and a
handful of users of every role. Loading twice changes nothing but the demo users' password."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from vir.accounts import operations as account_ops
from vir.accounts.models import User
from vir.core.db import db
from vir.orgs.models import Organisation
from vir.orgs.operations import by_slug, create_org
from vir.rooms.models import Area, Folder
from vir.rooms.operations import create_folder, open_room, room_for

CONSORTIA = [
    ("gwe", "GwE", "GwE"),
    ("partneriaeth", "Partneriaeth", "Partneriaeth"),
    ("csc", "Central South Consortium", "Consortiwm Canolbarth y De"),
    ("eas", "Education Achievement Service", "Gwasanaeth Cyflawni Addysg"),
]

# (slug, English, Welsh, consortium or None): Ceredigion, Powys and Neath Port Talbot left ERW
# and are served by no consortium.
AUTHORITIES = [
    ("anglesey", "Isle of Anglesey County Council", "Cyngor Sir Ynys Môn", "gwe"),
    ("gwynedd", "Gwynedd Council", "Cyngor Gwynedd", "gwe"),
    ("conwy", "Conwy County Borough Council", "Cyngor Bwrdeistref Sirol Conwy", "gwe"),
    ("denbighshire", "Denbighshire County Council", "Cyngor Sir Ddinbych", "gwe"),
    ("flintshire", "Flintshire County Council", "Cyngor Sir y Fflint", "gwe"),
    ("wrexham", "Wrexham County Borough Council", "Cyngor Bwrdeistref Sirol Wrecsam", "gwe"),
    ("carmarthenshire", "Carmarthenshire County Council", "Cyngor Sir Gâr", "partneriaeth"),
    ("pembrokeshire", "Pembrokeshire County Council", "Cyngor Sir Penfro", "partneriaeth"),
    ("swansea", "City and County of Swansea", "Dinas a Sir Abertawe", "partneriaeth"),
    (
        "bridgend",
        "Bridgend County Borough Council",
        "Cyngor Bwrdeistref Sirol Pen-y-bont ar Ogwr",
        "csc",
    ),
    ("cardiff", "Cardiff Council", "Cyngor Caerdydd", "csc"),
    (
        "merthyr-tydfil",
        "Merthyr Tydfil County Borough Council",
        "Cyngor Bwrdeistref Sirol Merthyr Tudful",
        "csc",
    ),
    (
        "rhondda-cynon-taf",
        "Rhondda Cynon Taf County Borough Council",
        "Cyngor Bwrdeistref Sirol Rhondda Cynon Taf",
        "csc",
    ),
    ("vale-of-glamorgan", "Vale of Glamorgan Council", "Cyngor Bro Morgannwg", "csc"),
    (
        "blaenau-gwent",
        "Blaenau Gwent County Borough Council",
        "Cyngor Bwrdeistref Sirol Blaenau Gwent",
        "eas",
    ),
    (
        "caerphilly",
        "Caerphilly County Borough Council",
        "Cyngor Bwrdeistref Sirol Caerffili",
        "eas",
    ),
    ("monmouthshire", "Monmouthshire County Council", "Cyngor Sir Fynwy", "eas"),
    ("newport", "Newport City Council", "Cyngor Dinas Casnewydd", "eas"),
    ("torfaen", "Torfaen County Borough Council", "Cyngor Bwrdeistref Sirol Torfaen", "eas"),
    ("ceredigion", "Ceredigion County Council", "Cyngor Sir Ceredigion", None),
    ("powys", "Powys County Council", "Cyngor Sir Powys", None),
    ("neath-port-talbot", "Neath Port Talbot Council", "Cyngor Castell-nedd Port Talbot", None),
]

PARTNERS = [
    ("estyn", "Estyn", "Estyn", "inspectorate"),
    ("audit-wales", "Audit Wales", "Archwilio Cymru", "partner"),
    ("welsh-government", "Welsh Government", "Llywodraeth Cymru", "partner"),
    ("wlga", "Welsh Local Government Association", "Cymdeithas Llywodraeth Leol Cymru", "partner"),
    ("ciw", "Care Inspectorate Wales", "Arolygiaeth Gofal Cymru", "partner"),
]

# (email, name, organisation, roles, assignments)
USERS = [
    ("admin@vir.example", "Alex Admin", "estyn", ["admin"], []),
    ("coordinator@estyn.example", "Catrin Co-ordinator", "estyn", ["coordinator"], []),
    ("inspector@estyn.example", "Iwan Inspector", "estyn", ["inspector"], ["cardiff", "swansea"]),
    ("editor@cardiff.example", "Eleri Editor", "cardiff", ["provider_editor"], []),
    ("viewer@cardiff.example", "Vaughan Viewer", "cardiff", ["provider_viewer"], []),
    ("editor@swansea.example", "Siân Editor", "swansea", ["provider_editor"], []),
    ("partner@csc.example", "Pat Partner", "csc", ["partner"], []),
    ("auditor@audit-wales.example", "Aled Auditor", "audit-wales", ["auditor"], ["cardiff"]),
    (
        "stakeholder@gov.wales.example",
        "Gwen Government",
        "welsh-government",
        ["stakeholder"],
        ["cardiff"],
    ),
]

# (provider, area, folder, file name, title, category, uploader, text)
DEMO_DOCUMENTS = [
    (
        "cardiff",
        Area.PROVIDER,
        "Improvement conference",
        "improvement-plan-2027.pdf",
        "Improvement plan 2027",
        "improvement_plan",
        "editor@cardiff.example",
        "Improvement plan 2027: attendance, Welsh-medium growth, leadership",
    ),
    (
        "cardiff",
        Area.PROVIDER,
        "Improvement conference",
        "organisation-structure.pdf",
        "Education directorate structure",
        "organisation_structure",
        "editor@cardiff.example",
        "Education directorate structure chart",
    ),
    (
        "cardiff",
        Area.INSPECTORS,
        "Improvement conference",
        "lali-notes.pdf",
        "Link inspector notes",
        "other",
        "inspector@estyn.example",
        "Link inspector notes before the improvement conference",
    ),
]

# (provider, sender, file name, note, text): evidence waiting for the authority's decision.
DEMO_FORWARDS = [
    (
        "cardiff",
        "partner@csc.example",
        "csc-attendance-review.pdf",
        "Our review of attendance support in Cardiff schools, autumn term.",
        "Central South Consortium attendance review for Cardiff",
    ),
]

# (provider, area, English name, Welsh name)
DEMO_FOLDERS = [
    ("cardiff", Area.PROVIDER, "Improvement conference", "Cynhadledd gwella"),
    ("cardiff", Area.INSPECTORS, "Improvement conference", "Cynhadledd gwella"),
    ("swansea", Area.PROVIDER, "Improvement conference", "Cynhadledd gwella"),
    ("swansea", Area.INSPECTORS, "Improvement conference", "Cynhadledd gwella"),
]


def sample_pdf(text: str = "Improvement plan") -> bytes:
    """A minimal, valid one-page PDF containing ``text`` (demo documents, tests)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def _ensure_org(
    slug: str, name_en: str, name_cy: str, kind: str, consortium: Organisation | None = None
) -> Organisation:
    org = by_slug(slug)
    if org is None:
        org = create_org(slug, name_en, kind, name_cy=name_cy, consortium=consortium)
    return org


def load_demo(
    password: str | None = None, progress: Callable[..., Any] | None = None
) -> tuple[list[tuple[str, str]], str]:
    """Load (or refresh) the demo; returns the sign-ins and their shared password."""
    password = password or secrets.token_urlsafe(12)
    steps: list[tuple[str, Any]] = (
        [("consortium", c) for c in CONSORTIA]
        + [("authority", a) for a in AUTHORITIES]
        + [("partner", p) for p in PARTNERS]
        + [("user", u) for u in USERS]
        + [("folder", f) for f in DEMO_FOLDERS]
        + [("document", d) for d in DEMO_DOCUMENTS]
        + [("forward", f) for f in DEMO_FORWARDS]
    )
    bar = progress(steps, label="Loading demo data") if progress else None
    items = bar.__enter__() if bar else steps
    try:
        for kind, item in items:
            _step(kind, item, password)
    finally:
        if bar:
            bar.__exit__(None, None, None)
    db.session.commit()
    return [(u[0], ", ".join(u[3])) for u in USERS], password


def _step(kind: str, item: Any, password: str) -> None:
    if kind == "consortium":
        slug, en, cy = item
        org = _ensure_org(slug, en, cy, "consortium")
        if slug == "eas":  # one consortium under follow-up, so the demo shows a consortium room
            open_room(org)
    elif kind == "authority":
        slug, en, cy, consortium = item
        _ensure_org(slug, en, cy, "local_authority", by_slug(consortium) if consortium else None)
    elif kind == "partner":
        _ensure_org(*item)
    elif kind == "user":
        email, name, org_slug, roles, assign = item
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = account_ops.create_user(email, name, by_slug(org_slug), roles)
        account_ops.set_password(user, password)
        account_ops.set_active(user, True)
        for slug in assign:
            account_ops.assign_provider(user, by_slug(slug))
    elif kind == "folder":
        slug, area, name, name_cy = item
        room = room_for(by_slug(slug))
        exists = db.session.scalar(
            select(Folder).where(
                Folder.room_id == room.id, Folder.area == area, Folder.name == name
            )
        )
        if exists is None:
            create_folder(room, area, name, name_cy=name_cy)
        elif exists.name_cy is None:  # demo data from before folders had Welsh names
            exists.name_cy = name_cy
    elif kind == "document":
        _demo_document(*item)
    elif kind == "forward":
        _demo_forward(*item)
    db.session.flush()


def _demo_document(
    slug: str,
    area: str,
    folder_name: str,
    filename: str,
    title: str,
    category: str,
    uploader: str,
    text: str,
) -> None:
    from vir.documents.models import Document
    from vir.documents.operations import upload_document

    room = room_for(by_slug(slug))
    folder = db.session.scalar(
        select(Folder).where(
            Folder.room_id == room.id, Folder.area == area, Folder.name == folder_name
        )
    )
    if db.session.scalar(
        select(Document).where(Document.folder_id == folder.id, Document.title == title)
    ):
        return
    user = db.session.scalar(select(User).where(User.email == uploader))
    upload_document(
        folder, io.BytesIO(sample_pdf(text)), filename, user=user, title=title, category=category
    )


def _demo_forward(slug: str, sender: str, filename: str, note: str, text: str) -> None:
    from vir.forwards.models import Forward
    from vir.forwards.operations import forward_file

    provider = by_slug(slug)
    if db.session.scalar(
        select(Forward).where(Forward.provider_id == provider.id, Forward.filename == filename)
    ):
        return
    user = db.session.scalar(select(User).where(User.email == sender))
    forward_file(provider, io.BytesIO(sample_pdf(text)), filename, user=user, note=note)
