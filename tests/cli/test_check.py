"""`archfit check` end to end: golden output for the bundled example, exit codes, bad input,
and the promise that a check never writes anything."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from archfit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLE = "examples/homelab"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "nginx:1.27", resources: {requests: {cpu: 100m}}}
"""
LOCK = """\
apiVersion: archfit.dev/v1alpha1
kind: ImageLock
images:
  docker.io/library/nginx:1.27:
    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
    kind: index
    platforms: [linux/amd64]
"""


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_example_text_matches_golden(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, EXAMPLE)
    assert code == 1, err
    assert out == (GOLDEN / "check-homelab.txt").read_text()


def test_example_json_matches_golden(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLE, "--format", "json")
    assert code == 1
    assert json.loads(out) == json.loads((GOLDEN / "check-homelab.json").read_text())


def test_example_json_shape(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(capsys, EXAMPLE, "--format", "json")
    report = json.loads(out)
    jellyfin = next(w for w in report["workloads"] if w["name"] == "jellyfin")
    assert jellyfin["eligible_nodes"] == ["danilo"]
    assert jellyfin["placement"]["required"] == [
        {
            "key": "feature.node.kubernetes.io/pci-0300_8086.present",
            "operator": "In",
            "values": ["true"],
        }
    ]
    assert [f["id"] for f in jellyfin["findings"]] == ["gpu-unconstrained"]
    image = jellyfin["images"][0]
    assert image["ref"] == "docker.io/jellyfin/jellyfin:10.10.3"
    assert image["platforms"] == ["linux/amd64", "linux/arm64"]
    assert image["status"] == "resolved"
    assert report["summary"]["workloads"] == 26
    assert report["summary"]["findings"] == {"info": 3, "warning": 9, "error": 8}


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("never", 0), ("error", 1), ("warning", 1), ("info", 1)]
)
def test_fail_on(
    in_root: Path, capsys: pytest.CaptureFixture[str], fail_on: str, expected: int
) -> None:
    code, _, _ = _run(capsys, EXAMPLE, "--fail-on", fail_on)
    assert code == expected


def test_exit_zero_when_nothing_reaches_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "archfit.lock").write_text(
        LOCK.replace("[linux/amd64]", "[linux/amd64, linux/arm64]")
    )
    code, out, err = _run(capsys, str(tmp_path))
    # No inventory: a warning, below the default threshold.
    assert code == 0, err
    assert "no-inventory" in out
    code, _, _ = _run(capsys, str(tmp_path), "--fail-on", "warning")
    assert code == 1


def test_nodes_in_the_input_are_the_inventory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/arch": arch}},
                "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
            }
            for name, arch in (("x86", "amd64"), ("pi", "arm64"))
        ],
    }
    (tmp_path / "nodes.yaml").write_text(json.dumps(nodes))
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "archfit.lock").write_text(LOCK)
    code, out, _ = _run(capsys, str(tmp_path), "--format", "json")
    report = json.loads(out)
    assert code == 1  # nginx is amd64-only here and nothing keeps it off the arm64 node
    (web,) = report["workloads"]
    assert web["eligible_nodes"] == ["x86"]
    assert [f["id"] for f in web["findings"]] == ["arch-mismatch"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["does/not/exist"], "does/not/exist: no such file or directory"),
        (
            [EXAMPLE, "--format", "xml"],
            "--format: expected one of text, json, yaml, sarif, got 'xml'",
        ),
        ([EXAMPLE, "--fail-on", "fatal"], "--fail-on: expected one of info, warning, error, never"),
        ([EXAMPLE, "--cluster", "missing.yaml"], "missing.yaml: cluster file not found"),
        ([EXAMPLE, "--lock", "missing.lock"], "missing.lock: lockfile not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    in_root: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *args)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_unknown_policy_key_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "archfit.yaml").write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: Policy\nstorage:\n  clases: [longhorn]\n"
    )
    code, _, err = _run(capsys, str(tmp_path))
    assert code == 2
    assert f"{tmp_path}/archfit.yaml:4: storage.clases: unknown field 'clases'" in err
    assert len(err.strip().splitlines()) == 1


def test_broken_lockfile_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "archfit.lock").write_text("apiVersion: archfit.dev/v1alpha1\nkind: Policy\n")
    code, _, err = _run(capsys, str(tmp_path))
    assert code == 2
    assert "archfit.lock" in err
    assert "Traceback" not in err


def _tree_state(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_check_never_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    tree = tmp_path / "homelab"
    shutil.copytree(ROOT / EXAMPLE, tree)
    monkeypatch.chdir(tmp_path)
    before = _tree_state(tmp_path)
    entries_before = sorted(os.listdir(tree))
    for fmt in ("text", "json"):
        _run(capsys, "homelab", "--format", fmt)
    assert _tree_state(tmp_path) == before
    assert sorted(os.listdir(tree)) == entries_before


def test_input_findings_name_their_location_once_in_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    Path("web.yaml").write_text(DEPLOYMENT.replace("cpu: 100m", "cpu: lots"))
    code, out, _ = _run(capsys, ".")
    assert code == 1
    assert (
        "  invalid-yaml  broken.yaml:3\n"
        "    invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping)\n"
        "    fix: fix the YAML syntax at that line; the rest of the file was still read\n"
        "  invalid-manifest  web.yaml:1\n"
        "    Deployment/web: spec.template.spec.containers[0].resources.requests.cpu: invalid"
        " quantity\n"
        "      'lots'; expected a number with an optional suffix such as 500m, 2, 1.5Gi or"
        " 128974848\n"
        "    fix: fix the field named; this object was left out of the analysis\n"
    ) in out
    assert out.count("broken.yaml") == 1
    assert out.count("web.yaml") == 1
    # JSON keeps the message whole: it stands alone in logs and other tools.
    _, out, _ = _run(capsys, ".", "--format", "json")
    messages = {f["id"]: f["message"] for f in json.loads(out)["findings"]}
    assert messages["invalid-yaml"].startswith("broken.yaml:3: invalid YAML: ")
    assert messages["invalid-manifest"].startswith("web.yaml:1: Deployment/web: spec.template")


def test_inventory_without_pis_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cluster.yaml").write_text(
        "apiVersion: archfit.dev/v1alpha1\nkind: Cluster\nmetadata: {name: x86}\nnodes:\n"
        "  - {name: a, arch: amd64, allocatable: {cpu: '8', memory: 32Gi, pods: 110}}\n"
        "  - {name: b, arch: arm64, allocatable: {cpu: '8', memory: 32Gi, pods: 110}}\n"
    )
    for name in ("pg", "mongo"):
        (tmp_path / f"{name}.yaml").write_text(
            f"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: {name}}}\nspec:\n"
            f"  template:\n    spec:\n      containers: [{{name: db, image: {name}:1}}]\n"
        )
    code, out, _ = _run(capsys, str(tmp_path), "--format", "json")
    report = json.loads(out)
    assert code in {0, 1}
    ids = [f["id"] for f in report["findings"]]
    assert ids.count("pi-rules-skipped") == 1
    assert all(f["id"] != "too-large-for-pi" for w in report["workloads"] for f in w["findings"])
