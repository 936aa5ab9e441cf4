"""studio.export."""
