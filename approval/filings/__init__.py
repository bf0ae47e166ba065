"""Registrations filed to the market-supervision registry, through an outbox of their own."""
