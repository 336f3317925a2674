"""OCI registry adapter: resolve image platforms, authenticate, cache."""
