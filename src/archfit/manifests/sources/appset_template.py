"""Argo CD ApplicationSet templating: fasttemplate (`{{path.basename}}`) and, with
`goTemplate: true`, the subset of Go `text/template` ApplicationSets use in practice.

fasttemplate mode (Argo CD's default): `{{ key }}` is replaced by the flat parameter `key`
(white space inside the braces trimmed); a tag that names no parameter is left as written,
as Argo CD does.

Go mode: `appset_gotemplate` (actions, `if`/`range`/`with`, variables, Go's and Sprig's
functions). A missing key renders `<no value>` (Go's default for maps) unless
`missingkey=error` is set, when the Application is not generated. What is not modelled raises
`TemplateError`, and the caller reports what it did not generate rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from archfit.manifests.sources.appset_functions import TemplateError
from archfit.manifests.sources.appset_gotemplate import execute

__all__ = ["TemplateError", "render_fast", "render_go", "render_value"]

_FAST_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def render_fast(text: str, params: Mapping[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        tag = match.group(1).strip()
        value = params.get(tag)
        if not tag or not isinstance(value, str):
            return match.group(0)
        return value

    return _FAST_TAG.sub(one, text)


def render_go(text: str, params: Mapping[str, Any], *, missing_error: bool) -> str:
    return execute(text, params, missing_error=missing_error)


def render_value(
    value: Any, params: Mapping[str, Any], *, go: bool, missing_error: bool = False
) -> Any:
    """`value` (a template's mapping, list or string) with every string rendered."""
    if isinstance(value, str):
        if "{{" not in value:
            return value
        return (
            render_go(value, params, missing_error=missing_error)
            if go
            else render_fast(value, params)
        )
    if isinstance(value, Mapping):
        return {
            render_value(k, params, go=go, missing_error=missing_error): render_value(
                v, params, go=go, missing_error=missing_error
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [render_value(v, params, go=go, missing_error=missing_error) for v in value]
    return value
