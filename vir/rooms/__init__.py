"""Rooms: one per provider, with a Provider Area and a Link Inspectors area of folders."""
