"""Whether a scheduled pod's images can run on the node it was placed on.

kube-scheduler does not look at image platforms: it places an amd64-only pod on a Raspberry Pi
if nothing in the pod forbids it, and the pod then fails there. How it fails depends on what the
tag points at (containerd's behaviour):

- a multi-platform index without the node's platform cannot be pulled: `ErrImagePull`, "no
  match for platform in manifest";
- a single-platform manifest of another architecture is pulled and started, and the kernel
  refuses the binary: `CrashLoopBackOff`, "exec format error".

Images nobody resolved (not in the lockfile, a lookup error) make the outcome `unknown`, never
fine. Init containers and sidecars count; ephemeral containers are not part of a new pod.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from archfit.model.imageinfo import ImageInfo
from archfit.model.node import Node
from archfit.model.pod import PodTemplate

__all__ = [
    "EXEC_FORMAT_ERROR",
    "NO_MATCH_FOR_PLATFORM",
    "ImageLookup",
    "ImageOutcome",
    "image_outcome",
]

EXEC_FORMAT_ERROR = "exec format error"
NO_MATCH_FOR_PLATFORM = "no match for platform in manifest"

# The platforms of an image reference as written in the pod (None: no answer at all).
ImageLookup = Callable[[str], ImageInfo | None]


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    """Why a placed pod would not run (`would-crash`) or cannot be vouched for (`unknown`)."""

    outcome: Literal["would-crash", "unknown"]
    image: str
    node: str
    # `exec format error` / `no match for platform in manifest` for a crash; for unknown, why
    # the image's platforms are not known (e.g. "not in archfit.lock").
    reason: str
    node_platform: str = ""
    image_platforms: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        if self.outcome == "unknown":
            return f"{self.image}: platforms unknown ({self.reason})"
        ships = ", ".join(self.image_platforms) or "no Linux platform"
        return (
            f"{self.image} ships only {ships}; on {self.node} ({self.node_platform}) "
            f"it fails with {self.reason}"
        )


def image_outcome(template: PodTemplate, node: Node, lookup: ImageLookup) -> ImageOutcome | None:
    """The first image of `template` that cannot run on `node` (a crash outranks an unknown
    image), or None when every image ships a platform the node runs."""
    unknown: ImageOutcome | None = None
    for container in template.runtime_containers:
        info = lookup(container.image)
        if info is None or info.status != "resolved":
            if unknown is None:
                reason = (info.detail if info is not None else "") or "not resolved"
                unknown = ImageOutcome("unknown", container.image, node.name, reason)
            continue
        linux = info.linux_platforms
        if any(node.runs(platform) for platform in linux):
            continue
        return ImageOutcome(
            "would-crash",
            container.image,
            node.name,
            NO_MATCH_FOR_PLATFORM if _is_index(info) else EXEC_FORMAT_ERROR,
            str(node.platform),
            tuple(str(p) for p in linux),
        )
    return unknown


def _is_index(info: ImageInfo) -> bool:
    if info.kind is not None:
        return info.kind == "index"
    return len(info.platforms) > 1  # only an index lists several platforms
