"""The page shell every page app shares (see docs/architecture.md)."""
