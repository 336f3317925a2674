"""Writing placement back into manifests and chart values, keeping everything else as it was.

`placement` edits one pod spec (or values block) in place, `yamlrt` round-trips files, `plan`
decides where each workload's placement is written. All pure: text and objects in, text out.
"""
