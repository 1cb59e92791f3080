"""Backup and restore: the database and the stored objects in one file (``vir backup``,
``vir restore``)."""
