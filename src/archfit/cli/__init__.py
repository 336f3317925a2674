"""The `archfit` command line (also `kubectl archfit`)."""
