"""The HTML page every report shares (the version report and `datagen diff --html`): one
self-contained file, its CSS and JavaScript inline, plots as inline SVG, nothing fetched, so it
opens offline and as a mail attachment. Also the small builders sections use: escaped text,
tables, figures, notes.

Every text that comes from data goes through `esc` (rows are untrusted: a row holding
`</script>` or `<img onerror=...>` must stay text); attribute values too. The only script is
`SCRIPT` below, which filters the sample table by the reason in its `<select>` (and shows a
prompt once per run of shown rows that share it).

What it does not do: decide what a section shows (sections.py, diff.py).
"""

from __future__ import annotations

import html

CSS = """
:root { --fg: #1d2327; --muted: #5f6b73; --line: #dde3e7; --bg: #fff; --soft: #f5f7f9; --kept: #2e8540; --rej: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); background: var(--soft); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .sub { color: var(--muted); font-size: 13px; }
nav { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); padding: 6px 28px; font-size: 13px; }
nav a { margin-right: 14px; color: #2c4f75; text-decoration: none; }
main { padding: 6px 28px 40px; max-width: 1280px; }
section { margin-top: 26px; }
section h2 { font-size: 18px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.note { color: var(--muted); margin: 4px 0 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 4px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 120px; background: #fff; }
.card b { display: block; font-size: 18px; }
.card span { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 8px 24px; }
figure.plot { margin: 6px 0 14px; }
figure.plot svg { display: block; width: 100%; max-width: 760px; height: auto; }
figcaption { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; border-radius: 4px; padding: 1px 6px; font-size: 12px; color: #fff; white-space: nowrap; }
.badge.kept { background: var(--kept); } .badge.rejected { background: var(--rej); }
.text + .text { border-top: 1px dashed var(--line); margin-top: 4px; padding-top: 4px; }
.text { white-space: pre-wrap; word-break: break-word; max-height: 14em; overflow: auto; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
#sample-table td { max-width: 420px; }
#sample-table td.lineage { max-width: 300px; }
#sample-table tr.same .full, #sample-table tr:not(.same) .same-note { display: none; }
.small { font-size: 12px; color: var(--muted); }
.toolbar { display: flex; gap: 12px; align-items: center; margin: 6px 0; }
select { font: inherit; padding: 2px 4px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.pair > div { border: 1px solid var(--line); border-radius: 4px; padding: 6px; }
"""

SCRIPT = """
(function () {
  var select = document.getElementById("reason-filter");
  if (!select) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("#sample-table tbody tr"));
  var counter = document.getElementById("sample-count");
  function apply() {
    var want = select.value, shown = 0, group = null;
    rows.forEach(function (row) {
      var reason = row.getAttribute("data-reason");
      var show = want === "*" || reason === want || (want === "*rejected" && row.getAttribute("data-split") === "rejected");
      row.hidden = !show;
      if (show) {
        shown += 1;
        row.classList.toggle("same", row.getAttribute("data-group") === group);  // the prompt shows on a group's first shown row
        group = row.getAttribute("data-group");
      }
    });
    counter.textContent = shown + " of " + rows.length + " sampled rows shown";
  }
  select.addEventListener("change", apply);
  apply();
})();
"""


def esc(value) -> str:
    """Text for HTML content or a quoted attribute ("-" for None)."""
    return html.escape("-" if value is None else str(value), quote=True)


def fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def table(header: list[str] | None, rows: list[list], numeric: set[int] | None = None, cls: str = "") -> str:
    """An escaped table; columns in `numeric` (indexes) right-aligned and formatted as numbers;
    `header` None: no header row (a key/value table)."""
    numeric = numeric or set()
    head = "".join(f'<th class="num">{esc(h)}</th>' if i in numeric else f"<th>{esc(h)}</th>" for i, h in enumerate(header or []))
    body = []
    for r in rows:
        cells = "".join(f'<td class="num">{esc(fmt(c))}</td>' if i in numeric else f"<td>{esc(fmt(c))}</td>" for i, c in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    attr = f' class="{esc(cls)}"' if cls else ""
    thead = f"<thead><tr>{head}</tr></thead>" if header else ""
    return f"<table{attr}>{thead}<tbody>{''.join(body)}</tbody></table>"


def figure(svg: str | None, caption: str) -> str:
    """A plot with its caption ("" when there is no plot). `svg` is trusted (plots.py made it)."""
    if not svg:
        return ""
    return f'<figure class="plot">{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def cards(items: list[tuple[str, object]]) -> str:
    return '<div class="cards">' + "".join(f'<div class="card"><b>{esc(fmt(v))}</b><span>{esc(k)}</span></div>' for k, v in items) + "</div>"


def text_block(value) -> str:
    return f'<div class="text">{esc(value)}</div>' if value is not None else '<span class="small">-</span>'


def script_hash() -> str:
    """The CSP source that lets `SCRIPT`, and no other script or inline handler, run."""
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode() + "'"


def render_page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole page: `sections` are (anchor id, heading, inner HTML already escaped). Its
    Content-Security-Policy fetches nothing and runs only `SCRIPT` (by hash): a second line of
    defence behind `esc`."""
    nav = "".join(f'<a href="#{esc(sid)}">{esc(heading)}</a>' for sid, heading, _ in sections)
    body = "".join(f'<section id="{esc(sid)}"><h2>{esc(heading)}</h2>{inner}</section>' for sid, heading, inner in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src {script_hash()}; img-src data:\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{esc(title)}</h1><div class=\"sub\">{esc(subtitle)}</div></header>"
        f"<nav>{nav}</nav><main>{body}</main><script>{SCRIPT}</script></body></html>\n"
    )
