"""studio.models.losses."""
