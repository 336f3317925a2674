"""A kube-scheduler-faithful placement simulator (logic, no I/O)."""
