"""alertwire package."""
