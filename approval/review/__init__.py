"""The manual-review queue worked by registry staff."""
