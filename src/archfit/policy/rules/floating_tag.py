"""floating-tag: an image referenced by a tag that moves (`latest`, `stable`, …).

The platforms behind a floating tag can change with the next push, without any change to the
manifests: a multi-arch image can become amd64-only overnight, and the lockfile only records
what the tag pointed at when it was locked. A reference without a tag means `latest`.
"""

from __future__ import annotations

from typing import ClassVar

from archfit.policy.framework import Phase, RuleContext, RuleResult
from archfit.policy.settings import Settings

__all__ = ["FloatingTagRule"]


class FloatingTagRule:
    name: ClassVar[str] = "floating-tag"
    finding_ids: ClassVar[tuple[str, ...]] = ("floating-tag",)
    phase: ClassVar[Phase] = "constrain"

    def __init__(self, settings: Settings) -> None:
        self._tags = frozenset(settings.images.floating_tags)

    def evaluate(self, ctx: RuleContext) -> RuleResult:
        findings = []
        seen = set()
        for use in ctx.images:
            ref = use.info.ref if use.info is not None else None
            if ref is None or ref.pinned or ref.tag not in self._tags or ref in seen:
                continue
            seen.add(ref)
            implicit = ":" not in use.image.rsplit("/", 1)[-1]
            tag = "no tag (so :latest)" if implicit else f"the floating tag :{ref.tag}"
            findings.append(
                ctx.finding(
                    self.name,
                    "floating-tag",
                    "warning",
                    f"{use.image} has {tag}: the platforms behind it can change with the next "
                    "push, and the lockfile only knows what it was when locked",
                    "pin a version tag or a digest (image:1.2.3 or image@sha256:…)",
                    image=str(ref),
                )
            )
        return RuleResult(tuple(findings))
