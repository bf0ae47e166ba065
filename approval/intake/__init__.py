"""Intake: one window for every channel; validate, store, decide."""
