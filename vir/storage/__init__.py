"""Every file in VIR goes through this storage interface; back ends are chosen by config."""

from vir.storage.base import Storage, StorageError, StoredObject, get_storage, init_app

__all__ = ["Storage", "StorageError", "StoredObject", "get_storage", "init_app"]
