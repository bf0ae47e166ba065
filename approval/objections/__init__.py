"""Objections to impersonated registrations (冒名登记) and their revocation."""
