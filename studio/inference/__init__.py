"""studio.inference."""
