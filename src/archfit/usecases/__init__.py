"""Orchestration of commands over protocols: check, fix, lock, simulate, label."""
