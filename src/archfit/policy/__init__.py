"""The placement policy: one rule per module, an engine that combines them (logic, no I/O)."""
