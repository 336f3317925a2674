"""Kustomize's `images:` transformer, shared by Kustomize overlays and Argo CD's
`spec.source.kustomize.images` (which Argo CD writes into the kustomization with
`kustomize edit set image` before building)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archfit.model.k8s import POD_SPEC_PATHS

__all__ = ["apply_images", "edit_set_image", "image_transform"]


def apply_images(body: dict[str, Any], images: Sequence[Mapping[str, Any]]) -> bool:
    """Apply `images:` rules to the containers of `body` in place; True when one changed."""
    path = POD_SPEC_PATHS.get(str(body.get("kind")))
    if path is None or not images:
        return False
    node: Any = body
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    if not isinstance(node, dict):
        return False
    changed = False
    for group in ("initContainers", "containers"):
        for container in node.get(group) or []:
            if not isinstance(container, dict) or not isinstance(container.get("image"), str):
                continue
            new = image_transform(container["image"], images)
            if new != container["image"]:
                container["image"] = new
                changed = True
    return changed


def image_transform(image: str, images: Sequence[Mapping[str, Any]]) -> str:
    """`image` after the rules whose `name` is its repository (`newName`, `newTag`, `digest`)."""
    name, _, rest = image.partition("@")
    digest = f"@{rest}" if rest else ""
    repo, tag = name, ""
    if ":" in name.rsplit("/", 1)[-1]:
        repo, tag = name.rsplit(":", 1)
    for rule in images:
        if rule.get("name") != repo:
            continue
        repo = str(rule.get("newName") or repo)
        if rule.get("newTag") is not None:
            tag = str(rule["newTag"])
        if rule.get("digest"):
            digest, tag = f"@{rule['digest']}", ""
    return repo + (f":{tag}" if tag else "") + digest


def edit_set_image(spec: str) -> dict[str, str] | None:
    """The `images:` rule `kustomize edit set image SPEC` writes: `name:tag`, `name@digest`,
    `name=newName`, `name=newName:tag`, `name=newName@digest` (None: not one of these)."""
    spec = spec.strip()
    if not spec:
        return None
    name, sep, new = spec.partition("=")
    rule: dict[str, str] = {}
    target = new if sep else name
    ref, at, digest = target.partition("@")
    repo, tag = ref, ""
    if ":" in ref.rsplit("/", 1)[-1]:
        repo, tag = ref.rsplit(":", 1)
    if sep:
        rule["name"] = name.strip()
        if repo:
            rule["newName"] = repo
    else:
        rule["name"] = repo
    if tag:
        rule["newTag"] = tag
    if at and digest:
        rule["digest"] = digest
    return rule if rule.get("name") else None
