"""studio.models.assigners."""
