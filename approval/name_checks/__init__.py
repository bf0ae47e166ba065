"""名称自主申报: name checks and reservations before applying."""
