"""Seed files of the default synthetic world (``python -m connectors.world connectors/seed``).

A package only so that setuptools ships the JSON files with ``connectors``.
"""
