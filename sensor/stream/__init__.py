"""sensor/stream package."""
