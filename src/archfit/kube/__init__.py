"""The only package that talks to a Kubernetes API server (through lightkube).

    config.py     choosing the cluster: kubeconfig and context, or the in-cluster service account
    client.py     KubeApi: paginated lists (relist on 410), resumable watches, server-side apply
    resources.py  the resources archfit reads, as lightkube generic resources (plain dicts)
    collect.py    a whole cluster into the model (ManifestSet, pod states, warning events)
    sanitize.py   what may leave the cluster (no managedFields, no env values, never Secrets)
    errors.py     the exception tree; every foreign exception is translated in client.py

Nothing above this package sees a lightkube type: objects leave as dicts or model values.
"""
