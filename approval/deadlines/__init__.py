"""Time limits: what is past its due date, for staff."""
