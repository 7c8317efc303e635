"""A tenant's choices among the readings of its pack's interpretation points."""
