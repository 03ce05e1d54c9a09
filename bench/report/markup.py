"""HTML building blocks of the report: escaping, number formatting, sortable tables, and the page skeleton with
its inline style and the small table-sorting script (no external files, nothing fetched at view time)."""
import html
import math
from typing import NamedTuple, Optional

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;margin:0;color:#1d2428;background:#f4f6f7}
header{background:#22343c;color:#fff;padding:.5em 1.2em}
header h1{font-size:1.25em;margin:.1em 0 .3em}
header nav a{color:#cfe3ee;margin-right:1.1em;text-decoration:none}
header nav a.here{color:#fff;font-weight:bold;border-bottom:2px solid #fff}
main{max-width:1220px;margin:0 auto;padding:0 1em}
section{background:#fff;border:1px solid #dde3e6;border-radius:6px;padding:.6em 1.1em;margin:1em 0}
h2{font-size:1.12em;margin:.4em 0}
h3{font-size:1em;margin:.8em 0 .3em}
p.note,.note{color:#56656c;font-size:12.5px}
img.chart{display:block;max-width:100%;height:auto;margin:.4em auto}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:.6em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12.5px;margin:.3em 0}
th,td{border-bottom:1px solid #e6eaec;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td.long{overflow-wrap:anywhere;min-width:8em}
th{background:#eef2f4;font-weight:600;overflow-wrap:normal}
td.key{white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th:hover{background:#dfe7eb}
th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.flag{color:#b3261e;font-weight:600}
.flag::before{content:"\\26A0  "}
.dim{color:#8a979d}
code,pre{font:12px/1.4 "DejaVu Sans Mono",monospace}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f6f7;padding:.4em .6em;margin:.3em 0}
footer{max-width:1220px;margin:1em auto 2em;padding:0 1em;font-size:12px;color:#40525a}
footer section{background:#fbfcfc}
details summary{cursor:pointer;color:#22546b}
"""

# Click a header to sort by that column (again to reverse); cells sort by `data-sort` when present, numbers as
# numbers; empty cells stay last either way.
JS = """
(function(){
  function key(cell){
    var v = cell.getAttribute('data-sort');
    if (v === null) { v = cell.textContent.trim(); }
    return (v !== '' && isFinite(Number(v))) ? Number(v) : v;
  }
  function sortBy(table, th, i){
    var body = table.tBodies[0], asc = th.getAttribute('aria-sort') !== 'ascending';
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(h){ h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a, b){
      var x = key(a.cells[i]), y = key(b.cells[i]);
      if (x === '' || y === '') { return (x === '') - (y === ''); }
      var c = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
      return asc ? c : -c;
    });
    rows.forEach(function(r){ body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(th, i){
      th.title = 'sort by this column';
      th.addEventListener('click', function(){ sortBy(table, th, i); });
    });
  });
})();
"""


class Cell(NamedTuple):
    """A table cell: its HTML, the value it sorts by, and its class."""

    html: str
    sort: Optional[object] = None
    cls: str = ""


def esc(value) -> str:
    """`value` as escaped HTML text."""
    return html.escape(str(value), quote=True)


def missing(value) -> bool:
    """Whether `value` is None or NaN (pandas' NA included)."""
    try:
        return value is None or bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except TypeError:
        return True


def fmt(value, digits: int = 4) -> str:
    """A number in `digits` significant digits; an en dash for a missing one."""
    if missing(value):
        return "\u2013"
    return f"{float(value):.{digits}g}"


def num(value, digits: int = 4, signed: bool = False) -> Cell:
    """A right-aligned numeric cell that sorts by its value."""
    text = fmt(value, digits)
    if signed and not missing(value):
        text = f"{float(value):+.{digits}g}"
    return Cell(esc(text), "" if missing(value) else float(value), "num")


def flagged(text: str, flag: bool) -> Cell:
    """A text cell, marked as a deviation when `flag`."""
    return Cell(f'<span class="flag">{esc(text)}</span>' if flag else esc(text), text)


def long(text) -> Cell:
    """A cell of long free text (paths, sources) that may break anywhere, so wide tables still fit the page."""
    return Cell(esc("" if missing(text) else text), None, "long")


def link(href: str, text: str) -> str:
    """An anchor (relative `href`, so the site works opened from disk)."""
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def table(headers, rows, sortable: bool = True, cls: str = "") -> str:
    """A table; `rows` hold Cells or plain values (escaped). Sortable by clicking a header."""
    classes = " ".join(c for c in ("sortable" if sortable else "", cls) if c)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for c in row:
            c = c if isinstance(c, Cell) else Cell(esc("" if missing(c) else c))
            attrs = (f' data-sort="{esc(c.sort)}"' if c.sort is not None else "") + (
                f' class="{c.cls}"' if c.cls else "")
            cells.append(f"<td{attrs}>{c.html}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="{classes}"><thead><tr>{head}</tr></thead><tbody>'
            + "\n".join(body) + "</tbody></table></div>")


def img(src: str, alt: str) -> str:
    """A chart image."""
    return f'<img class="chart" src="{esc(src)}" alt="{esc(alt)}">'


def section(title: str, body: str, anchor: str = "") -> str:
    """A titled block of the page."""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<section{ident}><h2>{esc(title)}</h2>\n{body}\n</section>"


def page(title: str, nav, current: str, body: str, footer: str) -> str:
    """A whole HTML page: header with navigation (`nav`: (href, label) pairs), body, provenance footer."""
    links = " ".join(f'<a href="{esc(h)}"{" class=here" if h == current else ""}>{esc(label)}</a>'
                     for h, label in nav)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">\n'
            f"<title>{esc(title)} \u2013 transfer-bench report</title>\n<style>{CSS}</style></head>\n"
            f"<body><header><h1>{esc(title)}</h1><nav>{links}</nav></header>\n<main>\n{body}\n</main>\n"
            f"<footer>{footer}</footer>\n<script>{JS}</script>\n</body></html>\n")
