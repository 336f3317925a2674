"""Helm releases read without a cluster: values assembled as Helm assembles them, workloads
derived from the `app-template` chart's values, images listed for charts that are not rendered,
and `helm template` when a helm binary and the chart are on this machine.

Where it sits: the Helm sources (`archfit.manifests.sources.helm*`) find releases in documents and
call into this package; everything here is pure except `render`, which runs `helm template`.
"""
