"""studio.jobs."""
