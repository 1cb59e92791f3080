"""Every access decision in VIR is made here, in :mod:`vir.access.policy`."""

from vir.access.policy import (
    READ,
    WRITE,
    area_permissions,
    can,
    can_admin,
    can_restore,
    can_see_room,
    can_view_audit,
    load_document,
    load_folder,
    load_room,
    readable_areas,
    require,
    visible_rooms,
)

__all__ = [
    "READ",
    "WRITE",
    "area_permissions",
    "can",
    "can_admin",
    "can_restore",
    "can_see_room",
    "can_view_audit",
    "load_document",
    "load_folder",
    "load_room",
    "readable_areas",
    "require",
    "visible_rooms",
]
