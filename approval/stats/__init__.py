"""Service statistics: 办结率, processing times, the auto-approval rate and 满意率."""
