"""Flux post-build substitution, the grammar (drone/envsubst as kustomize-controller runs it) and
the variables (kustomize_varsub.go's `loadVars`): expectations written from upstream's rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archfit.manifests.documents import read_text
from archfit.manifests.sources._common import Namespaces
from archfit.manifests.sources.envsubst import UNKNOWN, SubstitutionError, Unknown, expand
from archfit.manifests.sources.fluxvars import Variables, read_variables

VALUES: dict[str, str | Unknown] = {"APP": "plex", "EMPTY": "", "SEALED": UNKNOWN}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${APP}-data", "plex-data"),
        ("$APP stays", "$APP stays"),  # no braces: text
        ("$${APP}", "${APP}"),  # the escape
        ("$$${APP}", "$plex"),
        ("cost: 5$", "cost: 5$"),
        ("${UNSET}|", "|"),  # Flux's mapping gives "" for an unset name
        ("${UNSET:=5Gi}", "5Gi"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY=fallback}", "fallback"),  # drone's toDefault: empty counts as unset
        ("${APP:=other}", "plex"),
        ("${APP:+other}", "plex"),  # drone treats :+ like :-
        ("${UNSET:=}", ""),
        ("${UNSET:=a${APP}}", "a"),  # only the default's first part counts
        ("${#APP}", "4"),
        ("${APP^^}/${APP^}", "PLEX/Plex"),
        ("${A-b}", ""),  # `-` belongs to the name: the variable `A-b`
        ("a\\\\b a\\/b a\\nb", "a\\b a/b a\\nb"),
        ("${SEALED}", "${SEALED}"),  # set, but not readable here: kept as written
        ("${SEALED:=x}", "${SEALED:=x}"),
        ("${UNSET:=${SEALED}}", "${UNSET:=${SEALED}}"),
        ("${APP:1:2}", "${APP:1:2}"),  # substring: parsed, value not modelled
    ],
)
def test_grammar(text: str, expected: str) -> None:
    assert expand(text, VALUES.get).text == expected


def test_unset_and_unknown_names_are_reported() -> None:
    result = expand("${A} ${B:=x} ${SEALED} ${APP} ${APP/p/q}", VALUES.get)
    assert result.unset == {"A"}
    assert result.unknown == {"SEALED", "APP"}
    assert result.unmodelled == {"APP"}
    assert result.used == {"A", "B", "SEALED", "APP"}


@pytest.mark.parametrize("text", ["${arr[@]}", "${ APP }", "${}", "${APP", "x ${a.b} y"])
def test_what_drone_cannot_parse_fails(text: str) -> None:
    with pytest.raises(SubstitutionError, match="bad substitution"):
        expand(text, VALUES.get)


SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: flux-system}
data: {TAG: "1.0", ARCH: arm64, MULTI: "a\\nb"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: web}
data: {TAG: wrong-namespace}
---
apiVersion: v1
kind: Secret
metadata: {name: secrets, namespace: flux-system}
data: {TAG: Mi4w, REGISTRY: Z2hjci5pbw==}
stringData: {PLAIN: text}
---
apiVersion: v1
kind: Secret
metadata: {name: sops, namespace: flux-system}
stringData: {TOKEN: "ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]", OPEN: visible}
sops: {version: 3.9.0}
---
apiVersion: v1
kind: Secret
metadata: {name: onepassword, namespace: flux-system}
stringData: {TUNNEL: "op://kubernetes/cloudflare/TUNNEL_ID"}
"""


def _ks(post: str) -> str:
    return (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: web, namespace: flux-system}\n"
        f"spec:\n  path: ./apps/web\n  targetNamespace: web\n  postBuild:\n{post}"
    )


def _variables(post: str) -> Variables:
    docs = read_text(SETTINGS + "---\n" + _ks(post), "clusters/home/flux.yaml").documents
    return read_variables(docs[-1], docs[:-1], Namespaces(docs))


def test_later_entries_override_earlier_and_inline_overrides_all() -> None:
    variables = _variables(
        "    substitute: {ARCH: amd64}\n"
        "    substituteFrom:\n"
        "      - {kind: ConfigMap, name: settings}\n"
        "      - {kind: Secret, name: secrets}\n"
    )
    assert variables.values == {
        "TAG": "2.0",  # the Secret (base64 `Mi4w`) overrides the ConfigMap before it
        "ARCH": "amd64",  # inline wins
        "MULTI": "ab",  # newlines removed
        "REGISTRY": "ghcr.io",
        "PLAIN": "text",  # stringData counts as data
    }
    assert variables.active
    assert not variables.open
    assert not variables.unknown


def test_entries_are_looked_up_in_the_kustomization_namespace_not_the_target() -> None:
    variables = _variables("    substituteFrom: [{kind: ConfigMap, name: settings}]\n")
    assert variables.values["TAG"] == "1.0"


def test_values_the_repository_does_not_show_are_unknown() -> None:
    variables = _variables(
        "    substituteFrom:\n"
        "      - {kind: Secret, name: sops}\n"
        "      - {kind: Secret, name: onepassword}\n"
    )
    assert variables.values == {"OPEN": "visible"}
    assert variables.unknown == {"TOKEN", "TUNNEL"}
    assert variables.lookup("TOKEN") is UNKNOWN
    assert variables.lookup("NOT_SET") is None
    assert "Secret flux-system/sops is SOPS-encrypted" in variables.why_unknown()


def test_an_entry_not_in_the_repository_may_hold_any_variable() -> None:
    variables = _variables(
        "    substituteFrom: [{kind: Secret, name: made-in-cluster, optional: true}]\n"
    )
    assert variables.open == ("Secret flux-system/made-in-cluster",)
    assert variables.lookup("ANYTHING") is UNKNOWN


def test_names_flux_refuses() -> None:
    variables = _variables("    substitute: {cluster.domain: x, _OK1: y, 9LIVES: z}\n")
    assert variables.invalid == ("9LIVES", "cluster.domain")


def test_without_variables_nothing_is_substituted() -> None:
    variables = _variables("    substitute: {}\n")
    assert not variables.active


@given(st.text(alphabet=st.sampled_from("a${}\\/:=-#x\n")))
def test_escaped_text_comes_back_as_written(text: str) -> None:
    """`$$` and `\\\\` are drone's escapes: escaping any text and substituting gives it back."""
    escaped = text.replace("\\", "\\\\").replace("$", "$$")
    assert expand(escaped, VALUES.get).text == text


@given(st.text(alphabet=st.sampled_from("a${}\\/:=-#x[@] \n")))
def test_any_text_substitutes_or_fails_at_a_dollar_brace(text: str) -> None:
    failure: SubstitutionError | None = None
    try:
        result = expand(text, VALUES.get)
    except SubstitutionError as err:
        failure = err
    if failure is not None:
        assert text[failure.offset : failure.offset + 2] == "${"
    elif "$" not in text and "\\" not in text:
        assert result.text == text
