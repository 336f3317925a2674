"""Credential sources: docker config.json (with credential helpers), Kubernetes pull secrets,
and the `auth` of k3s `registries.yaml` configs (read by `archfit.registry.mirrors`)."""

from archfit.registry.credentials.dockerconfig import DockerConfigProvider, default_docker_config
from archfit.registry.credentials.interface import Credential, CredentialProvider, StaticProvider
from archfit.registry.credentials.keyring import Keyring, registry_matches
from archfit.registry.credentials.pullsecrets import PullSecretProvider, load_pull_secret_files

__all__ = [
    "Credential",
    "CredentialProvider",
    "DockerConfigProvider",
    "Keyring",
    "PullSecretProvider",
    "StaticProvider",
    "default_docker_config",
    "load_pull_secret_files",
    "registry_matches",
]
