"""studio.models.heads."""
