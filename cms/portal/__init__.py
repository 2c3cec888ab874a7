"""The member portal at /account/: sign in by emailed link, membership, visits, bookings,
message preferences and a personal calendar feed. Members see only their own data."""
