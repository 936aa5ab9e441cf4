"""studio.models.necks."""
