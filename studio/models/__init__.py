"""studio.models."""
