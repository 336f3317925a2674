"""The manifest sources run on data alone: an in-memory file tree and a given renderer.

This is how the admission webhook and other callers without a checkout use them; nothing here
touches the disk or runs a program, so the expectations are exactly what was handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from tests.support.memory_tree import MemoryTree

from archfit.manifests import ReadResult, expand_documents, read_bytes
from archfit.manifests.renderers import KustomizeBuild, Renderers
from archfit.manifests.sources import SourceContext

FILES = {
    "/repo/overlay/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: media
resources: [../base]
patches:
  - path: patch.yaml
""",
    "/repo/overlay/patch.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      nodeSelector: {kubernetes.io/arch: arm64}
""",
    "/repo/base/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deploy.yaml]
""",
    "/repo/base/deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: web, image: nginx:1.27}]
""",
}

# What `kustomize build /repo/overlay` prints for FILES, written out by hand.
RENDERED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: media
spec:
  template:
    spec:
      containers:
      - image: nginx:1.27
        name: web
      nodeSelector:
        kubernetes.io/arch: arm64
"""


class Rendered:
    """A Kustomize renderer that answers with fixed output and records what it was asked."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.built: list[Path] = []

    def build(self, directory: Path) -> KustomizeBuild:
        self.built.append(directory)
        return KustomizeBuild(self.output, tool="kustomize build")


def _reader(tree: MemoryTree) -> Callable[[Sequence[Path]], ReadResult]:
    def read(paths: Sequence[Path]) -> ReadResult:
        result = ReadResult()
        for path in paths:
            below = [f for f in sorted(tree.files) if f == path or path in f.parents]
            for file in below:
                result.extend(read_bytes(tree.files[file].encode(), str(file)))
        return result

    return read


def _load(renderers: Renderers) -> tuple[list[str], list[dict[str, str]], list[str], list[str]]:
    tree = MemoryTree(FILES)
    read = _reader(tree)
    roots = (Path("/repo/overlay"),)
    context = SourceContext(roots=roots, read=read, renderers=renderers, files=tree)
    manifests = expand_documents(read(roots), context)
    return (
        [w.key for w in manifests.workloads],
        [dict(w.template.node_selector) for w in manifests.workloads],
        [w.source.file for w in manifests.workloads],
        [f"{f.id} at {f.source.file if f.source else '-'}" for f in manifests.findings],
    )


def test_an_overlay_with_patches_is_rendered_by_the_renderer_given() -> None:
    renderer = Rendered(RENDERED)
    keys, selectors, files, _ = _load(Renderers(kustomize=renderer))
    assert renderer.built == [Path("/repo/overlay")]
    assert keys == ["Deployment/media/web"]
    assert selectors == [{"kubernetes.io/arch": "arm64"}]
    assert files == ["/repo/base/deploy.yaml"]  # traced back to the base it came from


def test_without_a_renderer_the_base_is_read_from_the_tree_and_the_patch_is_named() -> None:
    keys, selectors, files, findings = _load(Renderers())
    assert keys == ["Deployment/media/web"]
    assert selectors == [{}]
    assert files == ["/repo/base/deploy.yaml"]
    assert "patches-not-applied at /repo/overlay/kustomization.yaml" in findings, findings
