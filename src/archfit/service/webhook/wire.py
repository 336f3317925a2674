"""The `admission.k8s.io/v1` wire format, as the API server sends and expects it.

Only the fields the webhook reads or writes are typed; everything arrives as untrusted JSON, so
the brain checks each value's type before it uses it (`total=False` everywhere).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = [
    "ADMISSION_API_VERSION",
    "AdmissionRequest",
    "AdmissionResponse",
    "AdmissionReview",
    "GroupVersionKind",
    "Status",
]

ADMISSION_API_VERSION = "admission.k8s.io/v1"


class GroupVersionKind(TypedDict, total=False):
    group: str
    version: str
    kind: str


class GroupVersionResource(TypedDict, total=False):
    group: str
    version: str
    resource: str


class AdmissionRequest(TypedDict, total=False):
    uid: str
    kind: GroupVersionKind
    resource: GroupVersionResource
    subResource: str
    name: str
    namespace: str
    operation: Literal["CREATE", "UPDATE", "DELETE", "CONNECT"]
    dryRun: bool
    object: dict[str, Any]
    oldObject: dict[str, Any] | None


class Status(TypedDict, total=False):
    code: int
    reason: str
    message: str


class AdmissionResponse(TypedDict, total=False):
    uid: str
    allowed: bool
    patchType: Literal["JSONPatch"]
    patch: str  # base64 of the JSON Patch document
    warnings: list[str]
    status: Status
    auditAnnotations: dict[str, str]


class AdmissionReview(TypedDict, total=False):
    apiVersion: str
    kind: Literal["AdmissionReview"]
    request: AdmissionRequest
    response: AdmissionResponse
