"""In-cluster services: admission webhook and exporter."""
