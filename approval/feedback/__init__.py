"""Applicants rate the service once per completed application (满意率)."""
