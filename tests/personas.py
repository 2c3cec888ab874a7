"""Named personas shared by every test. Filled in by the test harness work."""
