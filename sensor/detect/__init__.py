"""sensor/detect package."""
