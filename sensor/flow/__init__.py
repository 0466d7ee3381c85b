"""sensor/flow package."""
