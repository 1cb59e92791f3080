"""Shared plumbing: database, time, errors."""
