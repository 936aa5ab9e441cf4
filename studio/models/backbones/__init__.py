"""studio.models.backbones."""
