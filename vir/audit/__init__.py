"""The append-only audit trail: who did what, to what, when, from where, and whether allowed."""
