"""studio.engine."""
