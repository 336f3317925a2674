"""Every kind of bad input through the installed console script: never a silent pass, never an
internal error; one line naming the file, line and field (exit 2), or a finding naming them."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.support.console import Run, archfit

CLUSTER = """\
apiVersion: archfit.dev/v1alpha1
kind: Cluster
metadata: {name: t}
nodes:
  - {name: x86, arch: amd64, capacity: {cpu: "4", memory: 8Gi, pods: "110"}}
  - {name: pi, profile: raspberry-pi-5-8gb}
"""
LOCK = """\
apiVersion: archfit.dev/v1alpha1
kind: ImageLock
images:
  docker.io/library/nginx:1.27:
    digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
    kind: index
    platforms: [linux/amd64, linux/arm64]
"""


def deployment(
    name: str = "web", *, replicas: str = "1", extra: str = "", image: str = "nginx:1.27"
) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: default}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
{extra}      containers:
        - {{name: c, image: "{image}", resources: {{requests: {{cpu: 100m}}}}}}
"""


def repo(tmp_path: Path, **files: str) -> Path:
    """A directory holding cluster.yaml, archfit.lock and `files` (name → text)."""
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    (tmp_path / "archfit.lock").write_text(LOCK)
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def one_line_error(run: Run, expected: str) -> None:
    assert run.code == 2, (run.code, run.err)
    assert run.out == ""
    assert run.err == f"archfit: error: {expected}\n"


@pytest.mark.parametrize(
    ("files", "target"),
    [
        ({}, "empty"),
        ({"list.yaml": "- a\n- b\n"}, "list.yaml"),
        ({"scalar.yaml": "just a string\n"}, "scalar.yaml"),
        ({"notes__readme.yaml": "# nothing but a comment\n"}, "notes"),
    ],
)
def test_no_kubernetes_objects_is_exit_2(
    tmp_path: Path, files: dict[str, str], target: str
) -> None:
    (tmp_path / "empty").mkdir()
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    where = tmp_path / target
    one_line_error(
        archfit("check", str(where)),
        f"no Kubernetes objects found in {where} (expected YAML mappings with apiVersion and "
        "kind; pass --allow-empty to accept an empty input)",
    )
    assert archfit("check", str(where), "--allow-empty").code == 0


def test_simulate_refuses_input_it_could_not_read(tmp_path: Path) -> None:
    root = repo(
        tmp_path, **{"web.yaml": deployment(), "bad.yaml": deployment("bad", replicas='"three"')}
    )
    one_line_error(
        archfit("simulate", str(root)),
        f"{root}/bad.yaml:1: Deployment/bad: spec.replicas: expected an integer, got 'three'; "
        "fix the input, or pass --keep-going to simulate the rest",
    )
    going = archfit("simulate", str(root), "--keep-going")
    assert going.code == 1
    assert going.out.startswith("Simulated 1 pods on 2 nodes"), going.out
    assert f"left out: {root}/bad.yaml:1: Deployment/bad: spec.replicas" in going.err


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"apiVersion: v1\nkind: [Pod\n", "bad.yaml:2: invalid YAML: "),
        (
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\xd0\x00",
            "bad.yaml:1: not UTF-8 text (byte 0xd0",
        ),
    ],
)
def test_simulate_on_broken_or_binary_file(tmp_path: Path, data: bytes, expected: str) -> None:
    root = repo(tmp_path, **{"web.yaml": deployment()})
    (root / "bad.yaml").write_bytes(data)
    run = archfit("simulate", str(root))
    assert run.code == 2
    assert run.err.startswith(f"archfit: error: {root}/{expected}"), run.err
    assert run.err.count("\n") == 1


@pytest.mark.parametrize(
    ("kustomization", "field"),
    [
        ("resources: [web.yaml]\npatches: 5\n", "patches: expected a list, got a number (5)"),
        (
            "resources: [web.yaml]\nconfigMapGenerator: 3\n",
            "configMapGenerator: expected a list, got a number (3)",
        ),
    ],
)
def test_kustomization_field_of_wrong_type(tmp_path: Path, kustomization: str, field: str) -> None:
    root = repo(tmp_path, **{"web.yaml": deployment(), "kustomization.yaml": kustomization})
    one_line_error(
        archfit("check", str(root)),
        f"{root}/kustomization.yaml:1: {field}; kustomize cannot build this overlay",
    )


def _findings(run: Run) -> dict[str, list[str]]:
    report = json.loads(run.out)
    out: dict[str, list[str]] = {}
    for finding in report["findings"]:
        out.setdefault(finding["id"], []).append(finding["message"])
    return out


def test_kustomization_entries_kustomize_would_reject(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        **{
            "web.yaml": deployment(),
            "kustomization.yaml": "resources: [web.yaml, missing.yaml]\nnamespace: [a]\n",
        },
    )
    run = archfit("check", str(root), "-o", "JSON")
    assert run.code == 1, run.err
    assert _findings(run)["invalid-kustomization"] == [
        f"{root}/kustomization.yaml:1: namespace: expected a string, got a list (['a']); the "
        "namespace transformer was not applied",
        f"{root}/kustomization.yaml:1: resources: missing.yaml does not exist (kustomize build "
        "fails: no such file or directory)",
    ]


def test_kustomize_images_with_a_numeric_tag(tmp_path: Path) -> None:
    # kustomize build rejects `newTag: 1.10` (a YAML number) for the string field.
    root = repo(
        tmp_path,
        **{
            "web.yaml": deployment(),
            "kustomization.yaml": "resources: [web.yaml]\n"
            "images:\n  - name: nginx\n    newTag: 1.10\n  - name: redis\n    newTag: '7.4'\n",
        },
    )
    run = archfit("check", str(root), "-o", "json")
    assert _findings(run)["invalid-kustomization"] == [
        f"{root}/kustomization.yaml:1: images[0].newTag: 1.1 is a number, not a string "
        "(kustomize build fails: cannot unmarshal number into Go struct field "
        "Image.images.newTag of type string)"
    ]


def test_binary_and_unreadable_entries_in_a_tree(tmp_path: Path) -> None:
    root = repo(tmp_path, **{"web.yaml": deployment()})
    (root / "blob.yaml").write_bytes(b"\x00\x01\xfe\xff\xfe")
    (root / "dangling.yaml").symlink_to(root / "nowhere")
    (root / "loop").symlink_to(root / "loop")
    run = archfit("check", str(root), "--format", "json")
    found = _findings(run)
    assert found["not-yaml"] == [
        f"{root}/blob.yaml:1: not UTF-8 text (byte 0xfe at offset 2); expected a UTF-8 encoded "
        "YAML file"
    ]
    assert found["unreadable"] == [
        f"{root}/dangling.yaml: cannot read file: No such file or directory",
        f"{root}/loop: cannot read: Too many levels of symbolic links",
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("web.yaml", "operator: In", "operator: Within"),
            "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring"
            "Execution.nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: "
            '"Within": supported values: "DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"',
        ),
        (
            ("web.yaml", "cpu: 100m", "cpu: -100m"),
            "spec.template.spec.containers[0].resources.requests.cpu: -100m: must be greater "
            "than or equal to 0",
        ),
    ],
)
def test_invalid_manifest_names_field_and_what_is_allowed(
    tmp_path: Path, edit: tuple[str, str, str], expected: str
) -> None:
    affinity = (
        "      affinity:\n"
        "        nodeAffinity:\n"
        "          requiredDuringSchedulingIgnoredDuringExecution:\n"
        "            nodeSelectorTerms:\n"
        "              - matchExpressions:\n"
        "                  [{key: kubernetes.io/arch, operator: In, values: [amd64]}]\n"
    )
    root = repo(tmp_path, **{"web.yaml": deployment(extra=affinity)})
    name, old, new = edit
    (root / name).write_text((root / name).read_text().replace(old, new))
    run = archfit("check", str(root), "--format", "json")
    assert run.code == 1
    assert _findings(run)["invalid-manifest"] == [f"{root}/web.yaml:1: Deployment/web: {expected}"]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "cluster.yaml",
            "arch: amd64",
            "arch: sparc",
            "cluster.yaml:5: nodes[0] (x86).arch: unknown architecture 'sparc'; expected a Go "
            "architecture name (386, amd64, arm, arm64, loong64, mips, mips64, mips64le, mipsle, "
            "ppc64, ppc64le, riscv64, s390x, wasm)",
        ),
        (
            "cluster.yaml",
            "profile: raspberry-pi-5-8gb}",
            "profile: raspberry-pi-5-8gb, arch: amd64}",
            "cluster.yaml:6: nodes[1] (pi).arch: amd64 contradicts profile raspberry-pi-5-8gb, "
            "which is arm64; remove arch or choose a profile of that architecture",
        ),
        (
            "archfit.lock",
            "linux/arm64",
            "linux/banana",
            "archfit.lock: images.docker.io/library/nginx:1.27.platforms[1]: unknown architecture "
            "'banana'; expected a Go architecture name (386, amd64, arm, arm64, loong64, mips, "
            "mips64, mips64le, mipsle, ppc64, ppc64le, riscv64, s390x, wasm)",
        ),
    ],
)
def test_inventory_and_lockfile_values(
    tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    root = repo(tmp_path, **{"web.yaml": deployment()})
    (root / file).write_text((root / file).read_text().replace(old, new))
    one_line_error(archfit("check", str(root)), f"{root}/{expected}")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_lock_update_with_no_registry_reachable(tmp_path: Path) -> None:
    port = _closed_port()
    images = [f"127.0.0.1:{port}/app{i}:1" for i in range(4)]
    root = repo(
        tmp_path,
        **{f"app{i}.yaml": deployment(f"app{i}", image=image) for i, image in enumerate(images)},
    )
    (root / "archfit.lock").unlink()
    run = archfit("lock", str(root), "--update", "--cache-dir", str(tmp_path / "cache"))
    assert run.code == 3, run.err
    assert run.err.startswith("archfit: error: 4 of 4 images could not be resolved: "), run.err
    assert run.err.count("\n") == 1
    assert f"cannot connect to 127.0.0.1:{port}" in run.err
    assert not (root / "archfit.lock").exists()


def test_first_run_resolves_online_and_says_once_when_no_registry_answers(tmp_path: Path) -> None:
    port = _closed_port()
    root = repo(
        tmp_path,
        **{
            f"app{i}.yaml": deployment(f"app{i}", image=f"127.0.0.1:{port}/app{i}:1")
            for i in range(3)
        },
    )
    (root / "archfit.lock").unlink()
    online = archfit(
        "check",
        str(root),
        "-o",
        "json",
        "--cache-dir",
        str(tmp_path / "c"),
        env={"ARCHFIT_OFFLINE": ""},
    )
    assert online.err == (
        "archfit: warning: 3 of 3 images could not be resolved online (no registry answered "
        "for them); continuing without their platforms\n"
    )
    (unresolved,) = _findings(online)["unresolved-images"]
    assert unresolved == (
        f"3 images could not be resolved online, so their platforms are unknown: 127.0.0.1:{port}"
        f"/app0:1, 127.0.0.1:{port}/app1:1, 127.0.0.1:{port}/app2:1"
    )
    offline = archfit("check", str(root), "-o", "json", "--offline", env={"ARCHFIT_OFFLINE": ""})
    assert offline.err == ""
    assert "unresolved-images" not in _findings(offline)
    assert "no-lockfile" in _findings(offline)
