"""Reading manifests and inventories into the model, and rewriting manifests.

Logic without network I/O; reading files is done at the edge of this package."""
