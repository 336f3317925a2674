"""What the webhook decides with, besides the policy file: grouped, with units and reasons."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FALLBACK_ANNOTATION", "VERIFIED_TAINT_KEY", "VERIFIED_TAINT_VALUE", "WebhookOptions"]

# Set on a pod that got the fallback placement; its value names the images nobody verified.
FALLBACK_ANNOTATION = "archfit.dev/fallback"
# The taint the Pis carry in verified-taint mode; only pods whose images were verified tolerate it.
VERIFIED_TAINT_KEY = "archfit.dev/verified"
VERIFIED_TAINT_VALUE = "required"


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    # Architectures a pod whose images could not be resolved in budget is restricted to: the
    # x86 nodes run anything the image's publisher most likely built, a Pi would crash it.
    fallback_architectures: tuple[str, ...] = ("amd64",)
    # Deny (instead of warn about) a DaemonSet whose images miss an architecture of its nodes.
    deny_daemonset_arch_gaps: bool = False
    # Add the toleration for `archfit.dev/verified=required:NoSchedule` to verified pods.
    verified_taint: bool = False
    # Seconds one admission may spend on registry lookups; the API server gives up at 10 s
    # (the chart sets timeoutSeconds: 5), so 2 s leaves room for everything else.
    registry_budget: float = 2.0
    # Warnings kubectl prints; the API server truncates long ones, so keep each readable.
    max_warnings: int = 8
    max_warning_chars: int = 256

    def __post_init__(self) -> None:
        if not self.fallback_architectures:
            raise ValueError("the fallback placement needs at least one architecture")
        if self.registry_budget <= 0:
            raise ValueError("the registry budget must be positive (seconds)")
