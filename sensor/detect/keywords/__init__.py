"""sensor/detect/keywords package."""
