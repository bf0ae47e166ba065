"""The kernel: input parsers every feature shares; it imports no feature."""
