"""Supervision linkage (审管联动): pushing approvals to the departments that supervise them."""
