"""Clients and stubs for the external registries Miaopi consults."""
