"""What can go wrong talking to a Kubernetes API server, split by what the caller can do.

    ArchfitError
    ├── InputError
    │   ├── KubeConfigError            no usable kubeconfig, unknown context, bad CA (exit 2)
    │   └── NamespaceNotFound          a namespace the user named does not exist (404, exit 2)
    └── KubeError                      the API server, or the way to it, failed (exit 3)
        ├── ApiUnreachable             connection refused, DNS, TLS handshake, timeout
        └── ApiStatusError             the server answered with a failure `Status`
            ├── Unauthorized           401: the credentials were rejected
            ├── Forbidden              403: RBAC denies a verb; `.rule` is the missing rule
            ├── NotFound               404: the object or the resource type does not exist
            ├── Conflict               409: a server-side apply conflicts with other field managers
            ├── Expired                410: a resourceVersion or continue token is too old (relist)
            └── Invalid                422: the server rejected the request body or options

Every message is one line, names what was asked (verb, resource, object) and never contains a
token or a certificate. `translate` is the one place that turns lightkube/httpx exceptions into
these; nothing above `archfit.kube` sees a foreign exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from archfit.errors import ArchfitError, InputError

__all__ = [
    "ApiStatusError",
    "ApiUnreachable",
    "Conflict",
    "Expired",
    "FieldConflict",
    "Forbidden",
    "Invalid",
    "KubeConfigError",
    "KubeError",
    "NamespaceNotFound",
    "NotFound",
    "RbacRule",
    "Request",
    "Unauthorized",
    "rule_from_forbidden",
    "status_error",
]


class KubeError(ArchfitError):
    """The API server, or the way to reach it, failed."""


class KubeConfigError(KubeError, InputError):
    """The kubeconfig (or in-cluster service account) cannot be used as given."""


class ApiUnreachable(KubeError):  # noqa: N818 - names the condition
    """No HTTP answer: connection refused, name resolution, TLS verification, timeout."""


@dataclass(frozen=True, slots=True)
class Request:
    """What archfit asked for, so an error can name it: `list pods in namespace web`."""

    verb: str
    resource: str
    group: str = ""
    namespace: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        what = f"{self.resource}/{self.name}" if self.name else self.resource
        if self.group:
            what = f"{what}.{self.group}"
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.verb} {what}{where}"


class ApiStatusError(KubeError):
    """The server answered with a failure `Status` (`code`, `reason`, `message`)."""

    code: int = 0
    reason: str = ""
    server_message: str = ""
    request: Request | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int = 0,
        reason: str = "",
        server_message: str = "",
        request: Request | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.server_message = server_message
        self.request = request


class Unauthorized(ApiStatusError):  # noqa: N818
    pass


@dataclass(frozen=True, slots=True)
class RbacRule:
    """One RBAC PolicyRule; `namespace` is None for a ClusterRole."""

    verb: str
    resource: str = ""
    group: str = ""
    namespace: str | None = None
    non_resource_url: str = ""

    def __str__(self) -> str:
        if self.non_resource_url:
            return f'{{nonResourceURLs: ["{self.non_resource_url}"], verbs: ["{self.verb}"]}}'
        return (
            f'{{apiGroups: ["{self.group}"], resources: ["{self.resource}"], '
            f'verbs: ["{self.verb}"]}}'
        )


class Forbidden(ApiStatusError):  # noqa: N818
    """RBAC denied the request; `rule` is the PolicyRule that would allow it."""

    rule: RbacRule | None = None
    user: str = ""


class NotFound(ApiStatusError):  # noqa: N818
    pass


class NamespaceNotFound(InputError):  # noqa: N818
    """A namespace the user named does not exist."""

    def __init__(self, message: str, *, where: str | None = None, namespace: str = "") -> None:
        super().__init__(message, where=where)
        self.namespace = namespace

    def at(self, where: str) -> NamespaceNotFound:
        inner = f"{where}: {self.where}" if self.where else where
        return NamespaceNotFound(self.message, where=inner, namespace=self.namespace)


@dataclass(frozen=True, slots=True)
class FieldConflict:
    """One field another manager owns: `.metadata.labels.kubernetes.io/arch` owned by `kubelet`."""

    field: str
    manager: str


class Conflict(ApiStatusError):  # noqa: N818
    conflicts: tuple[FieldConflict, ...] = ()


class Expired(ApiStatusError):  # noqa: N818
    """410 Gone: the resourceVersion or continue token is too old; list again."""


class Invalid(ApiStatusError):  # noqa: N818
    pass


_FORBIDDEN = re.compile(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) resource "(?P<resource>[^"]*)" '
    r'in API group "(?P<group>[^"]*)"'
    r'(?: (?:in the namespace "(?P<namespace>[^"]*)"|at the cluster scope))?'
)
_FORBIDDEN_PATH = re.compile(r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) path "(?P<path>[^"]*)"')
_CONFLICT_MANAGER = re.compile(r'conflict with "(?P<manager>[^"]*)"')


def rule_from_forbidden(message: str, request: Request | None) -> tuple[RbacRule | None, str]:
    """The missing rule and the user, read from the server's message (falling back to what was
    asked when the message has another shape)."""
    found = _FORBIDDEN.search(message)
    if found:
        return (
            RbacRule(
                verb=found["verb"],
                resource=found["resource"],
                group=found["group"],
                namespace=found["namespace"],
            ),
            found["user"],
        )
    found = _FORBIDDEN_PATH.search(message)
    if found:
        return RbacRule(verb=found["verb"], non_resource_url=found["path"]), found["user"]
    if request is not None:
        return (
            RbacRule(
                verb=request.verb,
                resource=request.resource,
                group=request.group,
                namespace=request.namespace,
            ),
            "",
        )
    return None, ""


def _forbidden_message(rule: RbacRule | None, user: str, server_message: str) -> str:
    if rule is None:
        return f"forbidden: {server_message}"
    who = f'User "{user}"' if user else "the current user"
    if rule.non_resource_url:
        what = f'cannot {rule.verb} path "{rule.non_resource_url}"'
        where = "a ClusterRole"
    else:
        scope = f'in the namespace "{rule.namespace}"' if rule.namespace else "at the cluster scope"
        what = f'cannot {rule.verb} resource "{rule.resource}" in API group "{rule.group}" {scope}'
        where = (
            f"a Role in namespace {rule.namespace} (or a ClusterRole)"
            if rule.namespace
            else "a ClusterRole"
        )
    bound = f" bound to {user}" if user else ""
    return f"forbidden: {who} {what}: add rule {rule} to {where}{bound}"


def status_error(status: dict[str, Any], request: Request | None) -> ApiStatusError | InputError:
    """The exception for a failure `Status` object answered to `request`."""
    code = int(status.get("code") or 0)
    reason = str(status.get("reason") or "")
    message = str(status.get("message") or reason or f"HTTP {code}")
    details = status.get("details") if isinstance(status.get("details"), dict) else {}
    asked = f" ({request})" if request else ""
    common: dict[str, Any] = {
        "code": code,
        "reason": reason,
        "server_message": message,
        "request": request,
    }
    if code == 401:
        return Unauthorized(
            "the API server rejected the credentials (401 Unauthorized): the token or client "
            f"certificate in the kubeconfig is invalid or expired{asked}",
            **common,
        )
    if code == 403:
        rule, user = rule_from_forbidden(message, request)
        err = Forbidden(_forbidden_message(rule, user, message), **common)
        err.rule = rule
        err.user = user
        return err
    if code == 404:
        kind = str((details or {}).get("kind") or "")
        name = str((details or {}).get("name") or "")
        if kind == "namespaces" or (
            request is not None and request.namespace and name == request.namespace
        ):
            namespace = name or (request.namespace if request else "") or ""
            return NamespaceNotFound(
                f"namespace {namespace!r} does not exist on this cluster", namespace=namespace
            )
        return NotFound(f"not found: {message}{asked}", **common)
    if code == 409:
        causes = (details or {}).get("causes") or []
        conflicts = []
        for cause in causes if isinstance(causes, list) else []:
            if not isinstance(cause, dict):
                continue
            manager = _CONFLICT_MANAGER.search(str(cause.get("message", "")))
            conflicts.append(
                FieldConflict(
                    field=str(cause.get("field", "")),
                    manager=manager["manager"] if manager else str(cause.get("message", "")),
                )
            )
        conflict = Conflict(f"conflict: {message}{asked}", **common)
        conflict.conflicts = tuple(conflicts)
        return conflict
    if code == 410:
        return Expired(f"expired: {message}{asked}", **common)
    if code == 422:
        return Invalid(f"invalid request: {message}{asked}", **common)
    return ApiStatusError(f"the API server answered {code} {reason}: {message}{asked}", **common)
