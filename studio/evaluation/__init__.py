"""studio.evaluation."""
