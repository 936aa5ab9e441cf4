"""Building blocks shared by the backbone zoo (one block per file)."""
