"""studio.models.detectors."""
