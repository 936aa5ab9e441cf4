"""studio.models.ops."""
