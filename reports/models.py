"""reports models arrive with their issue."""
