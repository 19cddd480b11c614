"""The report's plots: matplotlib figures rendered to inline SVG (no JavaScript, nothing fetched,
text kept as text so files stay small and the page's font applies). Each function returns one
`<svg>` element as a string, or None when there is nothing to draw.

Figures are made with `matplotlib.figure.Figure` and the SVG canvas directly (no pyplot, no
global backend), so a report can be made inside any process. Element ids are prefixed with
the plot's name: many SVGs share one page, and matplotlib numbers its ids per figure.

What it does not do: compute what is drawn (the section modules do), or lay out the page.
"""

from __future__ import annotations

import re

KEPT, REJECTED, A_COLOR, B_COLOR = "#2e8540", "#c0392b", "#1f77b4", "#ff7f0e"
REASON_COLORS = ["#c0392b", "#e67e22", "#8e44ad", "#7f8c8d", "#d35400", "#16a085", "#2c3e50", "#f1c40f", "#e84393", "#6d4c41"]
DISCRETE = 12  # at most this many distinct values: bars per value, not a histogram
RC = {
    "svg.fonttype": "none", "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#e5e5e5", "grid.linewidth": 0.6, "axes.axisbelow": True, "svg.hashsalt": "datagen",
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
}


def reason_colors(reasons) -> dict[str, str]:
    """A fixed colour per reject reason, by sorted name (the same reason keeps its colour across plots)."""
    return {r: REASON_COLORS[i % len(REASON_COLORS)] for i, r in enumerate(sorted(reasons))}


def styled(fn):
    """Run a plot function under the report's matplotlib style (sizes and fonts apply when the
    artists are made; the process's own rcParams are left alone)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(RC):
            return fn(*args, **kwargs)

    return wrapper


def _figure(width: float = 6.4, height: float = 2.4, left: float = 0.6, right: float = 1.5, bottom: float = 0.5, top: float = 0.15):
    """A figure with fixed margins in inches (room for tick labels on the left and the legend on
    the right): a layout engine would cost more time than all the drawing."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height, wspace=0.08)
    return fig


def _label(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counts(axis) -> None:
    """Whole-number ticks on an axis that counts rows."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def to_svg(fig, name: str) -> str:
    """The figure as one `<svg>` element: no XML prolog, doctype or metadata; ids prefixed with
    `name`; scaled to its container (its viewBox kept)."""
    import io

    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", name) + "-"
    svg = re.sub(r'\bid="([^"]+)"', lambda mt: f'id="{prefix}{mt[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda mt: f"url(#{prefix}{mt[1]})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda mt: f'href="#{prefix}{mt[1]}"', svg)
    svg = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 width="100%"', svg, count=1)
    return svg.replace("<svg", f'<svg role="img" aria-label="{name}" data-plot="{name}"', 1).strip()


@styled
def funnel(stages: list[dict], source_rows: int | None, name: str = "funnel") -> str | None:
    """Horizontal bars: per stage, kept rows, then rejected rows stacked by reason."""
    if not stages:
        return None
    colors = reason_colors({r for s in stages for r in s["reasons"]})
    fig = _figure(6.4, 0.7 + 0.42 * len(stages), left=1.3)
    ax = fig.add_subplot()
    labels = [_label(f"{s['index']} {s['label']}") for s in stages][::-1]
    y = list(range(len(stages)))
    for yi, s in zip(y, stages[::-1], strict=True):
        ax.barh(yi, s["kept"], color=KEPT, height=0.6)
        left = s["kept"]
        for r, n in s["reasons"].items():
            ax.barh(yi, n, left=left, color=colors[r], height=0.6)
            left += n
        ax.text(left, yi, f"  {s['kept']} kept / {s['rows_in']} in", va="center", fontsize=7)
    ax.set_yticks(y, labels)
    ax.set_xlabel("rows" + (f"  (source: {source_rows} seed rows)" if source_rows is not None else ""))
    _counts(ax.xaxis)
    ax.margins(x=0.3)
    from matplotlib.patches import Patch

    handles = [Patch(color=KEPT, label="kept")] + [Patch(color=c, label=r) for r, c in colors.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return to_svg(fig, name)


@styled
def stage_costs(stages: list[dict], name: str = "stage-costs") -> str | None:
    """Two panels: seconds per stage, and prompt + completion tokens per stage."""
    if not stages:
        return None
    fig = _figure(6.4, 0.7 + 0.32 * len(stages), left=1.3)
    left, right = fig.subplots(1, 2, sharey=True)
    labels = [_label(f"{s['index']} {s['label']}") for s in stages][::-1]
    y = list(range(len(stages)))
    left.barh(y, [s["seconds"] or 0 for s in stages[::-1]], color="#5b7fa6", height=0.6)
    left.set_yticks(y, labels)
    left.set_xlabel("seconds (shards' compute)")
    p = [s["prompt_tokens"] for s in stages[::-1]]
    c = [s["completion_tokens"] for s in stages[::-1]]
    right.barh(y, p, color="#9db4cc", height=0.6, label="prompt")
    right.barh(y, c, left=p, color="#2c4f75", height=0.6, label="completion")
    right.set_xlabel("tokens")
    right.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return to_svg(fig, name)


@styled
def histogram(series: dict[str, list], xlabel: str, name: str, colors: dict[str, str] | None = None,
              bins: int = 30, unit_range: bool = False, ylabel: str = "rows") -> str | None:
    """Overlaid histograms of each series (e.g. kept vs rejected); data with at most `DISCRETE`
    distinct values (pass rates of k samples, 0/1 scores, samples per prompt) is drawn as bars
    per value instead."""
    import numpy as np

    series = {k: [float(x) for x in v] for k, v in series.items() if v}
    if not series:
        return None
    allv = np.concatenate([np.asarray(v) for v in series.values()])
    colors = colors or {}
    default = iter([KEPT, REJECTED, A_COLOR, B_COLOR])
    picked = {label: colors.get(label) or next(default) for label in series}
    fig = _figure(6.4, 2.2)
    ax = fig.add_subplot()
    values = np.unique(allv)
    if len(values) <= DISCRETE:
        x = np.arange(len(values))
        width = 0.8 / len(series)
        for j, (label, vals) in enumerate(series.items()):
            counts = [int(np.sum(np.asarray(vals) == v)) for v in values]
            ax.bar(x - 0.4 + width * (j + 0.5), counts, width, color=picked[label], label=f"{label} ({len(vals)})")
        ax.set_xticks(x, [f"{v:g}" for v in values])
    else:
        lo, hi = (0.0, 1.0) if unit_range else (float(allv.min()), float(allv.max()))
        if np.all(np.mod(allv, 1) == 0) and hi - lo <= bins and not unit_range:
            edges = np.arange(lo - 0.5, hi + 1.5)
        else:
            edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
        for label, vals in series.items():
            ax.hist(vals, bins=edges, color=picked[label], alpha=0.35, label=f"{label} ({len(vals)})")
            ax.hist(vals, bins=edges, color=picked[label], histtype="step", linewidth=1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _counts(ax.yaxis)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return to_svg(fig, name)


@styled
def bars(categories: list[str], series: dict[str, list], ylabel: str, name: str, colors: list[str] | None = None,
         xlabel: str | None = None) -> str | None:
    """Grouped vertical bars: one group per category, one bar per series, values on top."""
    import numpy as np

    if not categories or not series:
        return None
    fig = _figure(6.4, 2.4)
    ax = fig.add_subplot()
    x = np.arange(len(categories))
    width = 0.8 / len(series)
    colors = colors or ["#5b7fa6", KEPT, "#e67e22", REJECTED, "#8e44ad"]
    for j, (label, vals) in enumerate(series.items()):
        heights = [v if v is not None else 0 for v in vals]
        rects = ax.bar(x - 0.4 + width * (j + 0.5), heights, width, label=label, color=colors[j % len(colors)])
        ax.bar_label(rects, labels=["" if v is None else f"{v:g}" for v in vals], fontsize=6, padding=1)
    ax.set_xticks(x, categories)
    ax.set_ylabel(ylabel)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.margins(y=0.15)
    return to_svg(fig, name)


@styled
def lines(x: list, series: dict[str, list], ylabel: str, xlabel: str, name: str) -> str | None:
    """One line with markers per series over x (e.g. rounds)."""
    if not x or not series:
        return None
    fig = _figure(6.4, 2.2)
    ax = fig.add_subplot()
    for j, (label, ys) in enumerate(series.items()):
        ax.plot(x, [float("nan") if v is None else v for v in ys], marker="o", label=label, color=[A_COLOR, B_COLOR, KEPT][j % 3])
    ax.set_xticks(x)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return to_svg(fig, name)


@styled
def composition(sources: list[dict], name: str = "composition") -> str | None:
    """Per source, train rows and train tokens, coloured synthetic or not."""
    if not sources:
        return None
    has_tokens = any(s["train_tokens"] for s in sources)
    fig = _figure(6.4, 0.7 + 0.35 * len(sources), left=1.3)
    axes = fig.subplots(1, 2 if has_tokens else 1, sharey=True, squeeze=False)[0]
    y = list(range(len(sources)))[::-1]
    colors = ["#e67e22" if s["synthetic"] else "#5b7fa6" for s in sources]
    axes[0].barh(y, [s["train_rows"] for s in sources], color=colors, height=0.6)
    axes[0].set_yticks(y, [_label(str(s["name"])) for s in sources])
    axes[0].set_xlabel("train rows")
    _counts(axes[0].xaxis)
    if has_tokens:
        axes[1].barh(y, [s["train_tokens"] or 0 for s in sources], color=colors, height=0.6)
        axes[1].set_xlabel("train tokens")
    from matplotlib.patches import Patch

    axes[-1].legend(handles=[Patch(color="#e67e22", label="synthetic"), Patch(color="#5b7fa6", label="not synthetic")],
                    frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return to_svg(fig, name)


@styled
def contamination(benchmarks: list[dict], methods: list[str], name: str) -> str | None:
    """Flagged rows per benchmark, stacked by the method that flagged them (benchmarks with none left out)."""
    hit = [b for b in benchmarks if b["flagged_rows"]]
    if not hit:
        return None
    fig = _figure(6.4, 0.7 + 0.35 * len(hit), left=1.3)
    ax = fig.add_subplot()
    y = list(range(len(hit)))[::-1]
    left = [0] * len(hit)
    for j, meth in enumerate(methods):
        vals = [b["by_method"].get(meth, 0) for b in hit]
        if any(vals):
            ax.barh(y, vals, left=left, color=REASON_COLORS[j % len(REASON_COLORS)], height=0.6, label=meth)
            left = [a + v for a, v in zip(left, vals, strict=True)]
    ax.set_yticks(y, [_label(b["benchmark"]) for b in hit])
    ax.set_xlabel("flagged rows")
    _counts(ax.xaxis)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return to_svg(fig, name)
