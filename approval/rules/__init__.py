"""Rule operations for registry staff: check, test, explain, version, simulate, publish."""
