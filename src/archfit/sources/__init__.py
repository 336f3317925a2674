"""Adapters that read a GitOps repository's files (input discovery, manifests, lockfiles)."""
