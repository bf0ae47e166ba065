"""The tamper-evident audit trail: hash-chained, append-only records of every step."""
