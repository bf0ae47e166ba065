"""Miaopi (秒批): instant approval of individual business registrations."""
