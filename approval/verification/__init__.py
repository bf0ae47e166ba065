"""Registry exchanges: the evidence log, the citizen's data-access log, pending verification."""
