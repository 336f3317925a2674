"""archfit.yaml: defaults from the seed, strict validation with the field (and line) named."""

from __future__ import annotations

from pathlib import Path

import pytest

from archfit.errors import InputError
from archfit.model.quantity import Quantity
from archfit.policy import Settings, finding_ids, parse_settings, rule_names
from archfit.policy.settings import LabelMatch, image_matches
from archfit.usecases.config import load_settings

from .builders import evaluate, workload

HEAD = {"apiVersion": "archfit.dev/v1alpha1", "kind": "Policy"}


def test_defaults_are_the_seeds() -> None:
    settings = Settings()
    assert settings.storage.classes == ("longhorn",)
    assert settings.storage.excluded_node_label == LabelMatch("kubernetes.io/storage", "none")
    assert settings.nodes.raspberry_pi == LabelMatch(
        "node.kubernetes.io/instance-type", "raspberry-pi"
    )
    assert settings.gpu.runtime_classes == {"nvidia": "nvidia"}
    assert settings.gpu.resources["amd.com/gpu"] == "amd"
    assert "postgres" in settings.size.heavy_images
    assert "eclipse-mosquitto" in settings.light.images
    assert parse_settings(None) == settings
    assert parse_settings(dict(HEAD)) == settings


def test_values_are_read() -> None:
    settings = parse_settings(
        {
            **HEAD,
            "storage": {
                "classes": ["longhorn", "ceph-rbd"],
                "excludedNodeLabel": "example.com/no-ceph",
            },
            "size": {"maxPiMemory": "2Gi", "heavyImages": ["ghcr.io/acme/*"]},
            "light": {"weight": 80},
            "rules": {"disabled": ["light-workloads"], "severity": {"floating-tag": "info"}},
            "ignore": [{"workload": "*/kube-system/*", "findings": ["floating-tag"]}],
        },
        known_rules=rule_names(),
        known_findings=finding_ids(),
    )
    assert settings.storage.classes == ("longhorn", "ceph-rbd")
    assert settings.storage.excluded_node_label == LabelMatch("example.com/no-ceph")
    assert settings.size.max_pi_memory == Quantity.parse("2Gi")
    assert settings.light.weight == 80
    assert settings.rules.disabled == frozenset({"light-workloads"})
    assert settings.ignore[0].applies("floating-tag", "DaemonSet/kube-system/x", [])


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"apiVersion": "v1", "kind": "Policy"}, "kind: expected apiVersion: archfit.dev/v1alpha1"),
        ({**HEAD, "storages": {}}, "storages: unknown field 'storages'"),
        ({**HEAD, "storage": {"classes": "longhorn"}}, "storage.classes: expected a list"),
        ({**HEAD, "light": {"weight": 0}}, "light.weight: expected an integer from 1 to 100"),
        ({**HEAD, "size": {"maxPiCpu": "lots"}}, "size.maxPiCpu: invalid quantity"),
        ({**HEAD, "rules": {"disabled": ["archh"]}}, "unknown rule 'archh'"),
        (
            {**HEAD, "rules": {"severity": {"floating-tag": "fatal"}}},
            "expected one of info, warning, error",
        ),
        (
            {**HEAD, "rules": {"severity": {"no-such-id": "info"}}},
            "unknown finding id 'no-such-id'",
        ),
        ({**HEAD, "ignore": [{}]}, "an ignore entry needs findings, workload or image"),
        ({**HEAD, "ignore": [{"workloads": "x"}]}, "ignore.0.workloads: unknown field"),
    ],
)
def test_invalid_settings(doc: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_settings(doc, known_rules=rule_names(), known_findings=finding_ids())
    assert message in str(err.value)


def test_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "archfit.yaml"
    path.write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: Policy\ngpu:\n  runtimeClasses: {nvidia: nvidia}\n"
        "  devicepaths: {}\n"
    )
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value).startswith(f"{path}:5: gpu.devicepaths: unknown field 'devicepaths'")


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "archfit.yaml"
    path.write_text("apiVersion: archfit.dev/v1alpha1\nkind: [Policy\n")
    with pytest.raises(InputError, match=r"archfit.yaml:\d+: invalid YAML"):
        load_settings(path)


@pytest.mark.parametrize(
    ("pattern", "image", "expected"),
    [
        ("postgres", "docker.io/library/postgres", True),
        ("postgres", "ghcr.io/acme/postgres", True),
        ("postgres", "docker.io/library/postgres-exporter", False),
        ("timescaledb*", "docker.io/timescale/timescaledb-ha", True),
        ("*/mssql/server", "mcr.microsoft.com/mssql/server", True),
        ("ghcr.io/acme/*", "ghcr.io/acme/tool", True),
        ("ghcr.io/acme/*", "docker.io/acme/tool", False),
    ],
)
def test_image_patterns(pattern: str, image: str, expected: bool) -> None:
    registry, repository = image.split("/", 1)
    assert image_matches(pattern, registry, repository) is expected


# --- settings applied by the engine ----------------------------------------------------------

AMD64 = {"img:1": "amd64"}


def test_severity_override() -> None:
    settings = parse_settings({**HEAD, "rules": {"severity": {"arch-mismatch": "info"}}})
    (finding,) = evaluate(
        workload().image("img:1").build(), images=AMD64, settings=settings
    ).findings
    assert (finding.id, finding.severity) == ("arch-mismatch", "info")


def test_disabled_rule_drops_findings_and_placement() -> None:
    settings = parse_settings({**HEAD, "rules": {"disabled": ["arch"]}})
    verdict = evaluate(workload().image("img:1").build(), images=AMD64, settings=settings)
    assert verdict.findings == ()
    assert verdict.placement.required == ()


def test_ignore_entries_match_workload_and_image() -> None:
    settings = parse_settings(
        {**HEAD, "ignore": [{"image": "docker.io/library/img:*", "findings": ["arch-mismatch"]}]}
    )
    verdict = evaluate(workload().image("img:1").build(), images=AMD64, settings=settings)
    assert verdict.findings == ()
    # Ignoring a finding in the settings keeps the placement: the workload still needs it.
    assert verdict.placement.required


def test_ignore_annotation() -> None:
    everything = workload().image("img:1").annotate("archfit.dev/ignore", "true").build()
    verdict = evaluate(everything, images=AMD64)
    assert verdict.ignored
    assert verdict.findings == ()
    one_rule = workload().image("postgres:16").annotate("archfit.dev/ignore", "too-large-for-pi")
    verdict = evaluate(one_rule.build(), images={"postgres:16": "amd64 arm64"})
    assert verdict.findings == ()
    assert verdict.placement.required == ()  # "this one may run on a Pi"
    assert "pi4" in (verdict.eligible_nodes or ())
