"""unresolved-image: an image whose platforms archfit does not know.

An image missing from the lockfile (or whose lookup failed) cannot be checked: the `arch` rule
ignores it, so the workload's allowed architectures come from its other images only. An image
reference that does not parse is an error: no runtime could pull it.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.policy.framework import Phase, RuleContext, RuleResult
from archfit.policy.settings import Settings

__all__ = ["UnresolvedImageRule"]


class UnresolvedImageRule:
    name: ClassVar[str] = "unresolved-image"
    finding_ids: ClassVar[tuple[str, ...]] = ("unresolved-image",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        findings = []
        seen: set[str] = set()
        for use in ctx.images:
            key = str(use.info.ref) if use.info is not None else use.image
            if key in seen:
                continue
            seen.add(key)
            if use.info is None:
                findings.append(
                    ctx.finding(
                        self.name,
                        "unresolved-image",
                        "error",
                        f"container {use.container}: image {use.image!r} is not a valid image "
                        "reference",
                        "write it as [registry/]repository[:tag][@digest]",
                        image=use.image,
                    )
                )
            elif use.info.status == "unresolved":
                findings.append(
                    ctx.finding(
                        self.name,
                        "unresolved-image",
                        "warning",
                        f"{use.info.ref.familiar} is {use.info.detail or 'not resolved'}: its "
                        "platforms are unknown, so archfit cannot tell where it runs",
                        "add it to the lockfile with `archfit lock`, or run "
                        "`archfit check --resolve`",
                        image=str(use.info.ref),
                    )
                )
            elif use.info.status == "error":
                findings.append(
                    ctx.finding(
                        self.name,
                        "unresolved-image",
                        "warning",
                        f"{use.info.ref.familiar} could not be resolved: {use.info.detail}",
                        "check the registry and credentials, then run `archfit lock` again",
                        image=str(use.info.ref),
                    )
                )
        return RuleResult(tuple(findings))
