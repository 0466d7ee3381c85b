"""pehredar package."""
