"""Pieces several test areas share (loopback TLS certificates)."""
