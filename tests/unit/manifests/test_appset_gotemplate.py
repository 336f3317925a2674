"""Go `text/template` as ApplicationSets use it: the outputs below are what Go's
`text/template` with Sprig prints for these templates and parameters; where Go fails, archfit
fails too (in its own words), and what it does not model is `NotModelledError`."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.manifests.sources.appset_functions import NotModelledError, TemplateError
from archfit.manifests.sources.appset_gotemplate import execute

PARAMS: dict[str, Any] = {
    "name": "prod",
    "env": "",
    "path": {"basename": "Web", "segments": ["apps", "Web"]},
    "metadata": {"labels": {"env": "prod", "tier": "edge"}},
    "list": ["a", "b"],
    "values": {"x": "y"},
    "replicas": 3,
    "enabled": True,
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ .path.basename | lower }}", "web"),
        ('{{ default "prod" .env }}', "prod"),
        ("{{ index .path.segments 1 }}-x", "Web-x"),
        ("{{ .nope }}", "<no value>"),
        ("{{ .metadata.labels.nope.deeper }}", "<no value>"),
        ('{{ if eq .name "prod" }}P{{ else if eq .name "lab" }}L{{ else }}O{{ end }}', "P"),
        ('{{ if eq .name "lab" }}L{{ else if eq .name "prod" }}P{{ else }}O{{ end }}', "P"),
        ('{{ if ne .name "prod" }}x{{ else }}y{{ end }}', "y"),
        (
            '{{- if and (eq .metadata.labels.env "prod") (not .env) }}\n  yes\n{{- end }}',
            "\n  yes",
        ),
        ("{{ if or .env .enabled }}on{{ end }}", "on"),
        ("{{ range $i, $v := .list }}{{ $i }}={{ $v }},{{ end }}", "0=a,1=b,"),
        ("{{ range .list }}[{{ . }}]{{ else }}none{{ end }}", "[a][b]"),
        ("{{ range .missing }}x{{ else }}none{{ end }}", "none"),
        (
            "{{ range $k, $v := .metadata.labels }}{{ $k }}:{{ $v }} {{ end }}",
            "env:prod tier:edge ",
        ),
        ("{{ with .values }}{{ .x }}{{ end }}", "y"),
        ("{{ with .nope }}x{{ else }}z{{ end }}", "z"),
        ("{{ $n := .name }}{{ range .list }}{{ $n }}{{ . }}{{ end }}", "prodaprodb"),
        ("{{ range .list }}{{ $.name }}{{ end }}", "prodprod"),
        ("{{ toYaml .values | nindent 2 }}", "\n  x: y"),
        ('{{ printf "%s-%d" .name .replicas }}', "prod-3"),
        ("{{/* a comment */}}a{{- /* trimmed */ -}} b", "ab"),
        ('{{ (index .metadata "labels").env }}', "prod"),
        ("{{ .list }} {{ .values }} {{ .enabled }}", "[a b] map[x:y] true"),
        ('{{ normalize "My_App" }}', "my-app"),
        ("{{ .name | quote }}", '"prod"'),
        ('{{ ternary "big" "small" (gt .replicas 2) }}', "big"),
        ('{{ join "," .list }}', "a,b"),
        ('{{ if hasPrefix "pr" .name }}yes{{ end }}', "yes"),
        ("{{ len .list }}", "2"),
    ],
)
def test_renders_as_go(template: str, expected: str) -> None:
    assert execute(template, PARAMS, missing_error=False) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ .nope }}", "map has no entry for key 'nope'"),
        ("{{ if .nope }}x{{ end }}", "map has no entry for key 'nope'"),
        ("{{ if .name }}x", "unexpected EOF: {{if}} without {{end}}"),
        ("{{ end }}", "unexpected {{end}}"),
        ("{{ eq .name 3 }}", "incompatible types for comparison"),
        ("{{ .name 3 }}", "can't give argument to non-function"),
    ],
)
def test_fails_where_go_fails(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        execute(template, PARAMS, missing_error=True)
    assert not isinstance(caught.value, NotModelledError)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "template",
    ['{{ template "other" . }}', '{{ define "x" }}y{{ end }}', "{{ sha256sum .name }}"],
)
def test_what_is_not_modelled_says_so(template: str) -> None:
    with pytest.raises(NotModelledError):
        execute(template, PARAMS, missing_error=False)


_PIECES = st.sampled_from(
    [
        "{{",
        "}}",
        "{{- ",
        " -}}",
        " if ",
        " else ",
        " end ",
        " range ",
        " with ",
        "$x := ",
        "$",
        ".name",
        ".list",
        ".metadata.labels",
        ".nope",
        "(",
        ")",
        "|",
        ",",
        '"a"',
        "`b`",
        "'c'",
        "08",
        "1.5",
        "-3",
        " eq ",
        " and ",
        " index ",
        " printf ",
        "%d",
        " default ",
        " toYaml ",
        "/*",
        "*/",
        " ",
        "\n",
        "x",
    ]
)


@given(st.lists(_PIECES, max_size=20).map("".join), st.booleans())
def test_any_text_renders_or_raises_template_error(template: str, missing_error: bool) -> None:
    with contextlib.suppress(TemplateError):
        execute(template, PARAMS, missing_error=missing_error)
