"""Users, roles, sign-in (password + optional TOTP), server-side sessions and API tokens."""
