"""Scheduler plugins, one package each; `archfit.scheduling.registry` maps names to them."""
