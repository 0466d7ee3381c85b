"""sensor/capture package."""
