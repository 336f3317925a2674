"""The frame of the HTML report: escaping, inline SVG bars, the stylesheet and the script.

Everything the page needs is inline — no font, script or image is fetched when it is opened, so
the file can be mailed, attached to a CI run or opened offline. Charts are hand-written SVG:
plotly's offline bundle alone is 4.8 MB (plotly.min.js of plotly 7.1), more than twice the
2 MB the example's page is allowed, for a handful of bar charts. Tables are plain HTML, readable
without the script; the script only adds filters and pagination (progressive enhancement).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["bar", "esc", "hbar_chart", "page", "percent"]


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def bar(label: str, value: float | None, *, title: str = "") -> str:
    """A labelled utilisation bar (CSS widths, no script): `cpu ▇▇▇░░ 42%`."""
    width = 0.0 if value is None else max(0.0, min(100.0, value))
    level = "hi" if width >= 90 else "mid" if width >= 70 else "lo"
    return (
        f'<div class="bar" title="{esc(title or label)}"><span class="bl">{esc(label)}</span>'
        f'<span class="bt"><span class="bf {level}" style="width:{width:.1f}%"></span></span>'
        f'<span class="bv">{percent(value)}</span></div>'
    )


def hbar_chart(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[tuple[str, str]],
    *,
    title: str,
    unit: str = "",
) -> str:
    """A horizontal stacked bar chart as inline SVG: one row per label, one segment per series
    (name, CSS class). Values are drawn to the scale of the largest row total."""
    label_w, bar_w, row_h = 170, 460, 22
    total = max((sum(values) for _, values in rows), default=0.0) or 1.0
    height = row_h * len(rows) + 34
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {label_w + bar_w + 70} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-label="{esc(title)}">'
        f"<title>{esc(title)}</title>"
    ]
    for i, (name, css) in enumerate(series):
        lx = label_w + i * 150
        parts.append(
            f'<rect class="{css}" x="{lx}" y="4" width="12" height="12"/>'
            f'<text x="{lx + 16}" y="14">{esc(name)}</text>'
        )
    for row, (label, values) in enumerate(rows):
        y = 26 + row * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{esc(label[:28])}</text>'
        )
        x = float(label_w)
        for (name, css), value in zip(series, values, strict=True):
            w = bar_w * value / total
            if w > 0:
                parts.append(
                    f'<rect class="{css}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="15">'
                    f"<title>{esc(label)}: {value:g}{unit} {esc(name)}</title></rect>"
                )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}">{sum(values):g}{esc(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


CSS = """
:root{--fg:#1d232b;--mut:#5b6573;--bd:#d6dbe2;--bg:#fff;--alt:#f5f7fa;--ok:#2f8f4e;--no:#c2410c;
--unk:#8a94a3;--lo:#3f7fd6;--mid:#d99a16;--hi:#cf3a2b;--err:#b91c1c;--warn:#b45309;--info:#2563eb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
sans-serif;color:var(--fg);background:var(--bg);overflow-wrap:anywhere}
header,main{max-width:1240px;margin:0 auto;
padding:12px 16px}h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;
border-bottom:1px solid var(--bd);padding-bottom:4px}h3{font-size:15px;margin:14px 0 6px}
.mut{color:var(--mut)}nav a{margin-right:12px}a{color:#1f5fbf}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid var(--bd);border-radius:6px;
padding:8px 12px;min-width:120px;background:var(--alt)}.card b{display:block;font-size:20px}
.group{margin:10px 0}.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));
gap:8px}.node{border:1px solid var(--bd);border-radius:6px;padding:6px 8px;background:var(--alt)}
.node.cordoned{opacity:.6}.node h4{margin:0 0 4px;font-size:13px}
.bar{display:flex;align-items:center;gap:6px;font-size:12px}.bl{width:52px;color:var(--mut);white-space:nowrap;overflow-wrap:normal}.bt{flex:1;height:8px;background:#e3e7ed;
border-radius:4px;overflow:hidden}.bf{display:block;height:100%}.bf.lo{background:var(--lo)}
.bf.mid{background:var(--mid)}.bf.hi{background:var(--hi)}.bv{width:38px;text-align:right}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--bd);padding:4px 6px;text-align:left;vertical-align:top}
th{background:var(--alt);position:sticky;top:0}td.c{text-align:center;white-space:nowrap}
.ships{color:#fff;background:var(--ok)}.not{color:#fff;background:var(--no)}
.unknown{color:#fff;background:var(--unk)}code{font-size:12px;word-break:break-all}
.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}
.finding{margin:4px 0 10px;padding-left:10px;border-left:3px solid var(--bd)}
.finding p{margin:2px 0}.fix{color:var(--mut)}#filters{display:flex;flex-wrap:wrap;gap:10px;
margin:6px 0}#filters[hidden]{display:none}.pager{margin:6px 0;display:flex;gap:6px;
align-items:center}.chart{max-width:760px;font-size:11px}.chart text{fill:var(--fg)}
rect.s-ok{fill:var(--ok)}rect.s-fail{fill:var(--hi)}rect.s-lost{fill:var(--unk)}
rect.s-req{fill:var(--lo)}rect.s-free{fill:#c9d6ea}.note{color:var(--mut);font-size:12px}
@media (max-width:600px){.tiles{grid-template-columns:1fr 1fr}td,th{padding:3px}
.hide-s{display:none}h1{font-size:18px}}
"""

# Filters the compatibility matrix by namespace and finding, and pages long tables. Written for
# the tables as rendered: without it every row shows.
SCRIPT = """
(function(){
"use strict";
var PAGE=100;
function rows(t){return Array.prototype.slice.call(t.tBodies[0].rows);}
function pager(t){
  var all=rows(t),box=document.createElement("div"),page=0;box.className="pager";
  var prev=document.createElement("button"),next=document.createElement("button"),
      info=document.createElement("span");
  prev.textContent="‹ previous";next.textContent="next ›";box.append(prev,info,next);
  t.parentNode.insertBefore(box,t);
  function show(){
    var vis=all.filter(function(r){return r.dataset.match!=="0";}),
        pages=Math.max(1,Math.ceil(vis.length/PAGE));page=Math.min(page,pages-1);
    all.forEach(function(r){r.hidden=true;});
    vis.slice(page*PAGE,(page+1)*PAGE).forEach(function(r){r.hidden=false;});
    info.textContent=vis.length+" rows · page "+(page+1)+" of "+pages;
    prev.disabled=page===0;next.disabled=page>=pages-1;
  }
  prev.onclick=function(){page--;show();};next.onclick=function(){page++;show();};
  t.refresh=function(){page=0;show();};show();
}
function filters(){
  var t=document.getElementById("matrix-table"),box=document.getElementById("filters");
  if(!t||!box)return;
  var ns=box.querySelector("select[name=namespace]"),fi=box.querySelector("select[name=finding]");
  function apply(){
    rows(t).forEach(function(r){
      var ok=(!ns.value||r.dataset.namespace===ns.value)&&
        (!fi.value||(" "+r.dataset.findings+" ").indexOf(" "+fi.value+" ")>=0);
      r.dataset.match=ok?"1":"0";r.hidden=!ok;
    });
    if(t.refresh)t.refresh();
  }
  ns.onchange=apply;fi.onchange=apply;box.hidden=false;
}
document.querySelectorAll("table[data-page]").forEach(pager);
filters();
})();
"""


def page(title: str, body: str) -> str:
    """The whole document around `body`."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        # No favicon request: the page fetches nothing.
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"{body}<script>{SCRIPT}</script></body></html>\n"
    )
