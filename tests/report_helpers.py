"""Helpers for the report tests: read an HTML page back (its tags and tables, as a browser's
parser sees them) and write a small version directory from rows and a manifest."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path


class PageParser(HTMLParser):
    """Every start tag (name, attrs) in order, the text of every table by its class, and
    `<option>` values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.options: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self._table = self.tables.setdefault(a.get("class") or a.get("id") or f"table-{len(self.tables)}", [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "option":
            self.options.append(a.get("value"))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> PageParser:
    p = PageParser()
    p.feed(html)
    p.close()
    return p


def number(text: str):
    """A table cell back to a number ("1,176" -> 1176, "0.175" -> 0.175, "-" -> None)."""
    if text in ("-", ""):
        return None
    v = float(text.replace(",", ""))
    return int(v) if v.is_integer() and "." not in text else v


def write_version(path: Path, manifest: dict, train: list[dict], rejected: list[dict]) -> Path:
    """A version directory as publishing lays it out: data/, rejected/, manifest.json."""
    import pyarrow as pa

    from datagen.publish import write_split_file

    for sub, rows, name in (("data", train, "train-00000-of-00001.parquet"), ("rejected", rejected, "rejected-00000-of-00001.parquet")):
        (path / sub).mkdir(parents=True, exist_ok=True)
        write_split_file(pa.Table.from_pylist(rows), path / sub / name)
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path
