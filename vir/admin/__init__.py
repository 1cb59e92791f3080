"""Administration: organisations, users and assignments (web, API and CLI share operations)."""
