"""Accounts on the web face: sign-in lockout page, second factor, session limits, password pages."""
