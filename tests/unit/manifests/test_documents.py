"""Reading YAML files into documents: lines, Lists, broken and foreign YAML, directories."""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from archfit.manifests.documents import read_text, split_documents
from archfit.sources import read_documents


def _summary(text: str) -> list[tuple[str, str, int]]:
    result = read_text(text, "f.yaml")
    return [(d.kind, d.name, d.source.line) for d in result.documents]


POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(POD.format("a"), [("Pod", "a", 1)], id="single"),
        pytest.param(
            "# leading comment\n\n" + POD.format("a"), [("Pod", "a", 3)], id="comment-first"
        ),
        pytest.param(
            POD.format("a") + "---\n" + POD.format("b"),
            [("Pod", "a", 1), ("Pod", "b", 6)],
            id="two-docs",
        ),
        pytest.param(
            "---\n" + POD.format("a") + "---\n---\n# only a comment\n---\n" + POD.format("b"),
            [("Pod", "a", 2), ("Pod", "b", 10)],
            id="empty-docs-between",
        ),
        pytest.param(
            "--- # first\n" + POD.format("a") + "...\n",
            [("Pod", "a", 2)],
            id="marker-with-comment-and-end-marker",
        ),
        pytest.param("%YAML 1.1\n---\n" + POD.format("a"), [("Pod", "a", 3)], id="directive"),
        pytest.param(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\ndata:\n"
            "  run.sh: |\n    echo one\n---\n    echo two\n",
            [("ConfigMap", "script", 1)],  # and a second document, the plain scalar `echo two`
            id="column-0-marker-ends-scalar",
        ),
        pytest.param(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\ndata:\n"
            "  run.sh: |\n    echo one\n    ---\n    echo two\n---\n" + POD.format("after"),
            [("ConfigMap", "script", 1), ("Pod", "after", 11)],
            id="indented-marker-in-block-scalar",
        ),
        pytest.param(
            "replicaCount: 3\nimage:\n  tag: 1.2\n---\n" + POD.format("a"),
            [("Pod", "a", 5)],
            id="helm-values-skipped",
        ),
        pytest.param(
            "version: v1alpha1\nmachine:\n  type: worker\n---\nservices:\n  web:\n"
            "    image: nginx\n---\n- a\n- b\n---\njust a string\n",
            [],
            id="talos-compose-list-scalar-skipped",
        ),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n"
            "  metadata: {name: a}\n-   apiVersion: v1\n    kind: Pod\n    metadata: {name: b}\n",
            [("Pod", "a", 4), ("Pod", "b", 7)],
            id="list-items-keep-their-lines",
        ),
        pytest.param(
            "apiVersion: v1\nkind: NodeList\nitems:\n  - metadata: {name: n1}\n"
            "  - metadata: {name: n2}\n",
            [("Node", "n1", 4), ("Node", "n2", 5)],
            id="typed-list-items-get-kind",
        ),
        pytest.param("apiVersion: v1\nkind: List\nitems: []\n", [], id="empty-list"),
    ],
)
def test_documents_and_lines(text: str, expected: list[tuple[str, str, int]]) -> None:
    assert _summary(text) == expected


def test_typed_list_items_take_the_list_api_version() -> None:
    doc = read_text("apiVersion: v1\nkind: NodeList\nitems:\n- metadata: {name: n}\n").documents[0]
    assert doc.api_version == "v1"
    assert doc.kind == "Node"
    assert doc.group == ""


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param(
            POD.format("a")
            + "---\nkind: Pod\nmetadata:\n  name: [unclosed\n---\n"
            + POD.format("c"),
            8,
            "expected ',' or ']'",
            id="flow-sequence-unclosed",
        ),
        pytest.param(
            POD.format("a") + "---\napiVersion: v1\nkind: Pod\n  bad: indent\n",
            8,
            "mapping values",
            id="bad-indentation",
        ),
        pytest.param("a: 'unterminated\n", 1, "quoted scalar", id="unterminated-quote"),
        pytest.param("a: *nowhere\n", 1, "undefined alias", id="undefined-alias"),
        pytest.param("a: 1\nb: 2001-13-45\n", 2, "month must be in 1..12", id="bad-date"),
        pytest.param("key: [\n---\n" + POD.format("z"), 1, "flow node", id="error-at-chunk-end"),
    ],
)
def test_broken_yaml_is_a_finding_at_its_line(text: str, line: int, words: str) -> None:
    result = read_text(text, "apps/x.yaml")
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.id == "invalid-yaml"
    assert problem.severity == "error"
    assert problem.source is not None
    assert problem.source.line == line
    assert problem.message.startswith(f"apps/x.yaml:{line}: invalid YAML")
    assert words in problem.message


def test_broken_document_keeps_the_others() -> None:
    text = POD.format("a") + "---\nmetadata: [\n---\n" + POD.format("c")
    result = read_text(text, "x.yaml")
    assert [d.name for d in result.documents] == ["a", "c"]
    assert [d.index for d in result.documents] == [0, 2]


def test_kustomization_file_without_kind_is_kept(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("namespace: media\nresources: [app.yaml]\n")
    (tmp_path / "values.yaml").write_text("namespace: media\n")
    result = read_documents(tmp_path)
    assert [(d.kind, d.api_version, d.body["namespace"]) for d in result.documents] == [
        ("Kustomization", "kustomize.config.k8s.io/v1beta1", "media")
    ]


def test_directory_walk_is_sorted_recursive_and_skips_hidden(tmp_path: Path) -> None:
    for rel in ("b/z.yaml", "a/y.yml", "a/x.yaml", ".git/c.yaml", "a/.hidden.yaml", "a/n.txt"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(POD.format(path.stem.strip(".")))
    (tmp_path / "a" / "loop").symlink_to(tmp_path)  # a symlink loop must not hang the walk
    result = read_documents(tmp_path)
    names = [d.name for d in result.documents]
    assert names == ["x", "y", "z"]
    assert result.files_read == 3
    assert result.documents[0].source.file == str(tmp_path / "a" / "x.yaml")


def test_overlapping_paths_read_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "pod.yaml").write_text(POD.format("p"))
    result = read_documents([tmp_path, tmp_path / "apps", tmp_path / "apps" / "pod.yaml"])
    assert [d.name for d in result.documents] == ["p"]
    assert result.files_read == 1


def test_relative_paths_stay_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "pod.yaml").write_text(POD.format("p"))
    monkeypatch.chdir(tmp_path)
    result = read_documents(["apps"])
    assert str(result.documents[0].source) == os.path.join("apps", "pod.yaml") + ":1"


def test_not_utf8_is_a_finding_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"apiVersion: v1\nkind: ConfigMap\ndata:\n  city: M\xfcnchen\n")
    result = read_documents(path)
    assert result.documents == []
    assert len(result.problems) == 1
    assert result.problems[0].source is not None
    assert result.problems[0].source.line == 4
    assert "not UTF-8" in result.problems[0].message


def test_utf16_with_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "windows.yaml"
    path.write_bytes(POD.format("w").encode("utf-16"))
    assert [d.name for d in read_documents(path).documents] == ["w"]


def test_json_file_named_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "nodes.json"
    path.write_text(
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", '
        '"kind": "Node", "metadata": {"name": "n"}}]}'
    )
    result = read_documents(path)
    assert [(d.kind, d.name) for d in result.documents] == [("Node", "n")]
    (tmp_path / "bad.json").write_text('{"a": \n  1,,}')
    bad = read_documents(tmp_path / "bad.json")
    assert bad.problems[0].source is not None
    assert bad.problems[0].source.line == 2


def test_missing_path_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    result = read_documents([tmp_path / "nope", tmp_path])
    assert len(result.problems) == 1
    assert "no such file" in result.problems[0].message


def test_split_documents_tracks_lines() -> None:
    text = "a: 1\n---\nb: 2\n\n--- |\n  text\n"
    assert [(line, chunk.splitlines()[0]) for line, chunk in split_documents(text)] == [
        (1, "a: 1"),
        (2, "---"),
        (5, "--- |"),
    ]


_TEXT = st.text(alphabet=st.sampled_from(list("ab -:#\n'\"|>%")), max_size=40)
_DOC = st.fixed_dictionaries(
    {
        "apiVersion": st.just("v1"),
        "kind": st.sampled_from(["ConfigMap", "Secret", "Pod"]),
        "metadata": st.fixed_dictionaries({"name": st.from_regex(r"[a-z]{1,8}", fullmatch=True)}),
        "data": st.dictionaries(st.from_regex(r"[a-z]{1,5}", fullmatch=True), _TEXT, max_size=3),
    }
)


@given(
    docs=st.lists(st.one_of(_DOC, st.none(), st.just({"replicaCount": 2})), max_size=6),
    explicit_start=st.booleans(),
    style=st.sampled_from([None, "|", '"']),
)
def test_multi_document_files_read_like_safe_load_all(
    docs: list[Any], explicit_start: bool, style: str | None
) -> None:
    """Bodies equal PyYAML's, whatever the scalars hold (`---` and `%` lines inside block and
    quoted scalars included), and each document's line is where its first key is written."""
    text = yaml.safe_dump_all(docs, explicit_start=explicit_start, default_style=style)
    expected = [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and "kind" in d]
    result = read_text(text, "p.yaml")
    assert result.problems == []
    assert [d.body for d in result.documents] == expected
    lines = text.split("\n")
    for doc in result.documents:
        first_key = next(iter(doc.body))
        assert first_key in lines[doc.source.line - 1]


_YAMLISH = st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#%?,@` \n\t0123")), max_size=80)


@given(text=_YAMLISH)
def test_any_text_reads_without_raising(text: str) -> None:
    result = read_text("apiVersion: v1\nkind: Pod\n" + text, "fuzz.yaml")
    for problem in result.problems:
        assert problem.id == "invalid-yaml"
        assert problem.source is not None
        assert 1 <= problem.source.line <= text.count("\n") + 3


@given(data=st.binary(max_size=200))
def test_any_bytes_read_without_raising(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blob.yaml"
        path.write_bytes(data)
        result = read_documents(path)
    assert result.files_read == 1
    assert all(p.id in {"invalid-yaml", "not-yaml"} for p in result.problems)


def test_reading_restores_the_garbage_collector() -> None:
    assert gc.isenabled()
    read_text(POD.format("a"))
    read_documents([])
    assert gc.isenabled()


def test_a_jinja_or_go_template_is_not_broken_yaml() -> None:
    # An Ansible role's template: not YAML until rendered, and not a manifest.
    jinja = "{% if control %}\ncluster-init: true\n{% endif %}\nnode-name: {{ host }}\n"
    assert read_text(jinja, "roles/k3s/templates/config.yaml").problems == []
    go = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }\n"
    assert read_text(go, "t.yaml").problems == []
    broken = read_text("apiVersion: v1\nkind: Pod\nmetadata: {name: [\n", "b.yaml").problems
    assert [p.id for p in broken] == ["invalid-yaml"]
