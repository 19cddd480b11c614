"""Make a version's report: gather every section's numbers from the manifest and the version's
parquet files (`gather`, a plain dict: what the tests check against the manifest), render
them into one self-contained HTML page (`render`), and write it atomically (`write_report`).

`publish_report` is what publishing calls on the version's temporary directory, before it is
renamed into place: a report that cannot be made is logged as a warning and the version is
published without it (losing a dataset over its report would be worse than the bug).

What it does not do: open a browser (the CLI does), or compare versions (diff.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

REPORT_FILE = "report.html"


def gather(path: Path, manifest: dict | None = None, *, embed: str = "auto") -> dict:
    """Every section's numbers for the version at `path` (its manifest read from there unless given)."""
    from datagen.report.contamination import contamination
    from datagen.report.distributions import distributions
    from datagen.report.diversity import diversity
    from datagen.report.funnel import funnel
    from datagen.report.mixture import composition
    from datagen.report.rows import count_rows, load_rows, sampled_every
    from datagen.report.sample import sample

    path = Path(path)
    m = manifest if manifest is not None else json.loads((path / "manifest.json").read_text())
    total = count_rows(path)
    every = sampled_every(total)
    rows = load_rows(path, every)
    return {
        "ref": m.get("ref"),
        "rows_read": {"rows": rows.height, "of": total, "every": every},
        "funnel": funnel(m),
        "composition": composition(m),
        "distributions": distributions(rows, m),
        "diversity": diversity(rows, embed),
        "contamination": contamination(m, rows),
        "sample": sample(rows),
    }


def render(m: dict, data: dict) -> str:
    """The page for a version's manifest `m` and its gathered `data`."""
    from datagen.report import sections
    from datagen.report.page import render_page

    desc = (m.get("recipe") or {}).get("description") or ""
    parts = [("overview", "Overview", (sections.note(desc) if desc else "") + sections.overview(m, data["funnel"]))]
    if data["composition"] is not None:
        parts.append(("composition", "Composition", sections.composition(data["composition"])))
    parts += [
        ("funnel", "Funnel", sections.funnel(data["funnel"])),
        ("distributions", "Distributions", sections.rows_read(data.get("rows_read")) + sections.distributions(data["distributions"])),
        ("diversity", "Diversity", sections.diversity(data["diversity"])),
        ("contamination", "Contamination", sections.contamination(data["contamination"])),
        ("sample", "Sample", sections.sample(data["sample"])),
    ]
    kind = "mixture" if data["composition"] is not None else "dataset"
    subtitle = f"datagen {kind} report · created {m.get('created_at', '-')} · fingerprint {m.get('fingerprint', '-')}"
    return render_page(str(m.get("ref") or "datagen version"), subtitle, parts)


def build_report(path: Path, manifest: dict | None = None, *, embed: str = "auto") -> str:
    path = Path(path)
    m = manifest if manifest is not None else json.loads((path / "manifest.json").read_text())
    return render(m, gather(path, m, embed=embed))


def write_report(path: Path, out: Path | None = None, manifest: dict | None = None, *, embed: str = "auto") -> Path:
    """Write the report of the version at `path` to `out` (default: its own report.html), atomically."""
    from datagen.stage_io import atomic_write_bytes

    out = Path(out) if out is not None else Path(path) / REPORT_FILE
    atomic_write_bytes(out, build_report(path, manifest, embed=embed).encode("utf-8"))
    return out


def publish_report(tmp: Path, manifest: dict) -> bool:
    """report.html into a version being published (the temporary directory `tmp`, its data
    already written). False, with a warning, when it could not be made."""
    try:
        write_report(tmp, tmp / REPORT_FILE, manifest)
    except Exception as e:  # noqa: BLE001 - never lose a dataset over its report
        (tmp / REPORT_FILE).unlink(missing_ok=True)
        logging.getLogger("datagen").warning("%s: report.html could not be made (%s: %s); published without it — "
                                             "`datagen report %s` tries again", manifest.get("ref"), type(e).__name__, e, manifest.get("ref"))
        return False
    return True
