"""helpcenter models arrive with their issue."""
