"""What can go wrong when archfit asks a registry, split by what the caller can do about it.

    ArchfitError
    ├── InputError
    │   └── RegistryConfigError       a registries.yaml, hosts.toml, config.json or pull secret is
    │                                 malformed (exit 2; fix the file)
    └── RegistryError                 the registry did not give a trustworthy answer (exit 3)
        ├── RegistryUnavailable       connection refused, DNS, TLS handshake, 5xx after retries:
        │   │                         try again later; a stale cached answer may be served
        │   ├── RegistryTimeout       no answer within the configured timeout
        │   └── RateLimited           429 after retries (`retry_after` seconds when known)
        ├── AuthenticationError       401/403: credentials missing, refused or lacking pull access
        ├── ImageNotFound             404: no such repository, tag or digest
        └── BadResponse               the answer cannot be trusted: not JSON, unknown schema,
            │                         too large, truncated, or an unexpected status
            └── DigestMismatch        the body does not hash to the digest it was asked for

Every message is one line, names the image or host, and never contains credentials. A resolver
never turns any of these into a guessed platform: the error is the answer.
"""

from __future__ import annotations

from archfit.errors import ArchfitError, InputError

__all__ = [
    "AuthenticationError",
    "BadResponse",
    "DigestMismatch",
    "ImageNotFound",
    "RateLimited",
    "RegistryConfigError",
    "RegistryError",
    "RegistryTimeout",
    "RegistryUnavailable",
]


class RegistryConfigError(InputError):
    """A registry configuration file or credential source is malformed."""


class RegistryError(ArchfitError):
    """A registry did not give a trustworthy answer."""

    #: Whether a stale cached answer may stand in for this failure.
    transient: bool = False


class RegistryUnavailable(RegistryError):  # noqa: N818 - names what happened
    """The registry could not be reached or kept failing (connection, TLS, 5xx)."""

    transient = True


class RegistryTimeout(RegistryUnavailable):
    """The registry did not answer within the configured timeout."""


class RateLimited(RegistryUnavailable):
    """The registry kept answering 429 Too Many Requests."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthenticationError(RegistryError):
    """401/403: credentials are missing, refused, or do not grant pull access."""


class ImageNotFound(RegistryError):  # noqa: N818 - names what happened
    """404: the repository, tag or digest does not exist."""


class BadResponse(RegistryError):  # noqa: N818 - names what happened
    """The answer cannot be trusted: malformed, too large, truncated or unexpected."""


class DigestMismatch(BadResponse):
    """A manifest or blob body does not hash to the digest it was fetched by."""
