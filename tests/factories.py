"""factory_boy factories, one per model. Filled in by the test harness work."""
