"""The rules engine: rule files in business terms, compiled to durable_rules."""
