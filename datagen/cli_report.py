"""`datagen report` and `datagen diff` (registered on the main typer app by `datagen/cli.py`; the
work is datagen/report/). Heavy imports (polars, matplotlib) stay inside the commands."""

from __future__ import annotations

from pathlib import Path

import typer

from datagen.cli import StoreOpt, _fail
from datagen.errors import DatagenError


def _open(path: Path) -> None:
    import webbrowser

    if not webbrowser.open(path.resolve().as_uri()):
        typer.echo(f"warning: could not start a browser here; open {path} yourself", err=True)


def report(
    ref: str = typer.Argument(..., metavar="REF", help="NAME@vN or NAME@latest"),
    out: Path | None = typer.Option(None, "--out", metavar="FILE", help="where to write the page (default: ./NAME-vN-report.html)"),
    open_: bool = typer.Option(False, "--open", help="open the page in the default browser"),
    embeddings: bool | None = typer.Option(None, "--embeddings/--no-embeddings",
                                           help="the embedding spread: --embeddings builds the static model if needed (~30 s once); default: only if built"),
    store: Path | None = StoreOpt,
):
    """Write a version's HTML report (funnel, distributions, diversity, contamination, a sample of
    kept and rejected rows; one offline file) and print its path. Every version also holds
    one, `report.html`, made when it was published."""
    try:
        from datagen.output_checks import check_file
        from datagen.report.build import write_report
        from datagen.store import Store

        st = Store(store)
        r = st.resolve(ref)
        target = out if out is not None else Path(f"{r.name}-v{r.version}-report.html")
        check_file(target, "--out")
        embed = "auto" if embeddings is None else ("always" if embeddings else "never")
        path = write_report(st.path(r), target, st.manifest(r), embed=embed)
    except DatagenError as e:
        _fail(e)
    typer.echo(str(path))
    if open_:
        _open(path)


def diff(
    a: str = typer.Argument(..., metavar="A", help="NAME@vN: the version compared from"),
    b: str = typer.Argument(..., metavar="B", help="NAME@vN: the version compared to"),
    html: Path | None = typer.Option(None, "--html", metavar="FILE", help="also write the comparison as an HTML page (the report's layout)"),
    store: Path | None = StoreOpt,
):
    """What changed between two versions: recipe keys, counts per split and stage, reject reasons,
    distributions side by side, rows added and removed by id. Text tables on stdout."""
    try:
        from datagen.report.diff import diff_lines, diff_versions
        from datagen.store import Store

        if html is not None:
            from datagen.output_checks import check_file

            check_file(html, "--html")
        d = diff_versions(Store(store), a, b)
        if html is not None:
            from datagen.report.diff import diff_html
            from datagen.stage_io import atomic_write_bytes

            atomic_write_bytes(html, diff_html(d).encode("utf-8"))
    except DatagenError as e:
        _fail(e)
    typer.echo("\n".join(diff_lines(d)))
    if html is not None:
        typer.echo(f"wrote {html}", err=True)


def register(app: typer.Typer) -> None:
    app.command()(report)
    app.command()(diff)
