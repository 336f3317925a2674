"""Rendering results as text and JSON."""
