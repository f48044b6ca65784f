"""The `ptedb` command line.

Start-up is kept fast (`ptedb --help` must answer in well under a second): only typer is imported at
module level; pydantic, pandas, pyarrow and DuckDB are imported inside the commands that use them.

Exit status: 0 success, 1 invalid data or a failed build, 2 a usage error (typer's own, or a bad query).
"""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ptedb import __version__

if TYPE_CHECKING:  # pragma: no cover
    from ptedb.validation.dataset import Diagnostic

app = typer.Typer(
    name="ptedb",
    help="A database of post-training enhancements of AI models and their compute-equivalent gain (CEG).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


class QueryFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    vertical = "vertical"


RowsFormatOpt = Annotated[
    QueryFormat | None,
    typer.Option(
        "--format",
        help="table, vertical (one field per line), csv or json. Default: a table (vertical when it would not "
        "fit the terminal) on a terminal, csv when the output goes to a file or another program.",
    ),
]


RecordsOpt = Annotated[Path, typer.Option("--records", help="Folder of YAML records.", show_default=True)]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder of the build output.", show_default=True)]


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str, code: int = 1) -> NoReturn:
    _err(f"error: {message}")
    raise typer.Exit(code)


def _progress() -> Any:
    """A progress callback drawing a bar on a terminal, and nothing when stderr is not one."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("{task.description:>9}"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        console=None,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, update


def _report(diagnostics: list[Diagnostic], fmt: ReportFormat) -> None:
    from ptedb.validation.diagnostics import render

    text = render(diagnostics, fmt.value)
    if fmt is ReportFormat.json:
        typer.echo(text)
    elif text:
        typer.echo(text, err=fmt is ReportFormat.text)


def _summary(diagnostics: list[Diagnostic], n_files: int) -> str:
    n = len(diagnostics)
    files = len({d.path for d in diagnostics})
    return f"{n} problem{'s' * (n != 1)} in {files} file{'s' * (files != 1)} ({n_files} files checked)"


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"ptedb {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """ptedb: validate, compile and query the post-training enhancements database."""


@app.command()
def validate(
    records: RecordsOpt = Path("records"),
    format: Annotated[ReportFormat, typer.Option("--format", help="Report format.")] = ReportFormat.text,
) -> None:
    """Check every record (SCH, REC and REF rules) and report all problems at once."""
    from ptedb.check import validate as run_validate

    bar, cb = _progress()
    if bar:
        with bar:
            ds = run_validate(records, cb)
    else:
        ds = run_validate(records, cb)
    _report(ds.diagnostics, format)
    if ds.diagnostics:
        if format is ReportFormat.text:
            _err(_summary(ds.diagnostics, len(ds.files)))
        raise typer.Exit(1)
    if format is ReportFormat.text:
        n = sum(len(v) for v in ds.records.values())
        _err(f"ok: {n} records in {len(ds.files)} files are valid")


@app.command()
def build(
    records: RecordsOpt = Path("records"),
    out: OutOpt = Path("dist"),
    format: Annotated[ReportFormat, typer.Option("--format", help="Report format for problems.")] = ReportFormat.text,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when nothing changed.")] = False,
    timings: Annotated[bool, typer.Option("--timings", help="Print how long each step took.")] = False,
) -> None:
    """Validate, then compile Parquet, CSV, DuckDB, datapackage.json and SHA256SUMS into --out, atomically.

    Does nothing when --out already holds a build of the same records by the same code.
    """
    import time

    from ptedb import cache

    start = time.perf_counter()
    try:
        cache.check_replaceable(out.absolute())
        key = cache.key_for(records)
        previous = None if force else cache.up_to_date(out, key.value)
    except cache.BuildError as exc:
        _fail(f"{exc}; {out} was left as it was")
    steps = {"scan": time.perf_counter() - start}
    if previous is not None and key.records_sha256:
        _err(f"{out} is up to date ({previous.get('dataset_version')}): no record or code changed (--force rebuilds)")
        if timings:
            _err(_timings(steps, start))
        return

    from ptedb.build import build as run_build

    had_site = (out / cache.SITE).exists()
    bar, cb = _progress()
    try:
        if bar:
            with bar:
                result = run_build(records, out, cb, force=True, key=key)
        else:
            result = run_build(records, out, cb, force=True, key=key)
    except cache.BuildError as exc:
        _fail(f"{exc}; {out} was left as it was")
    if timings:
        _err(_timings({**steps, **result.timings}, start))
    if result.diagnostics:
        _report(result.diagnostics, format)
        if format is ReportFormat.text:
            n_files = len(result.dataset.files) if result.dataset else 0
            _err(_summary(result.diagnostics, n_files) + f"; nothing was written to {out}")
        raise typer.Exit(1)
    counts = ", ".join(f"{name} {t.num_rows}" for name, t in result.tables.items())
    _err(f"built {out} ({result.meta['dataset_version']}): {counts}")
    if had_site:
        _err(f"the previous site describes the replaced build and was removed: run 'ptedb site' for {out / cache.SITE}")


def _timings(steps: dict[str, float], start: float) -> str:
    import time

    parts = [f"{name} {seconds:.2f} s" for name, seconds in steps.items()]
    return f"timings: {', '.join(parts)}; total {time.perf_counter() - start:.2f} s (after start-up)"


def _connect(out: Path) -> Any:
    """The release database, read-only and sandboxed (ptedb.connect): SQL typed at `ptedb query`
    reads that database and nothing else. A missing or damaged file is a one-line error, exit 1."""
    import duckdb

    from ptedb import connect

    db = out / "ptedb.duckdb"
    if not db.is_file():
        _fail(f"{db} not found: run 'ptedb build' first")
    try:
        return connect(db)
    except (duckdb.Error, OSError) as exc:
        _fail(f"cannot open {db}: {_first_line(exc)}; run 'ptedb build' to repair it")


def _first_line(exc: BaseException) -> str:
    """An error's first line, escaped: DuckDB quotes values (record text included) in its messages."""
    text = str(exc).strip()
    return _safe(text.splitlines()[0] if text else type(exc).__name__)


def _run(con: Any, sql: str, params: list[Any] | None = None) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Run `sql` and fetch its columns and rows (None for a statement that describes none). SQL that
    holds no statement at all (';', a lone comment: DuckDB returns no cursor) and a bad statement are
    usage errors (exit 2); a database that fails to read (damaged after the build) is exit 1."""
    import duckdb

    try:
        cur = con.execute(sql, params) if params else con.execute(sql)
        if cur is None:
            _fail("no SQL statement to run (only ';', whitespace or comments)", 2)
        if cur.description is None:
            return None
        return [d[0] for d in cur.description], cur.fetchall()
    except duckdb.Error as exc:
        # a block failing its checksum comes as a plain duckdb.Error: known by its message
        damaged = isinstance(exc, duckdb.IOException | duckdb.InternalException | duckdb.FatalException)
        if damaged or "Corrupt database file" in str(exc):
            _fail(f"cannot read the database: {_first_line(exc)}; run 'ptedb build' to repair it")
        _fail(f"query failed: {_first_line(exc)}", 2)
    finally:
        con.close()


_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters other than tab and newline (ESC starts colour, cursor and window-title
sequences; CR and BS overwrite what was printed; C1 includes the one-byte CSI) and the bidirectional
marks and overrides, which make printed text read other than it is."""


def _safe(text: str) -> str:
    r"""`text` with terminal controls written as escapes (ESC as \x1b), so printing it cannot drive the
    terminal; ordinary text, tabs and newlines are left as they are."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def _cell(v: Any) -> str:
    return "" if v is None else f"{v:.4g}" if isinstance(v, float) else _safe(str(v))


def _fits(columns: list[str], rows: list[tuple[Any, ...]], width: int) -> bool:
    """Whether a table shows every column name whole within `width`: each column as wide as its name or
    its values (long text may wrap down to 24 characters), plus rich's borders and padding."""
    need = 1
    for i, name in enumerate(columns):
        longest = max((len(_cell(r[i])) for r in rows), default=0)
        need += max(len(name), min(longest, 24)) + 3
    return need <= width


def _print_rows(columns: list[str], rows: list[tuple[Any, ...]], fmt: QueryFormat | None) -> None:
    """Rows as a table, one field per line, CSV or JSON. Without a format: CSV when stdout is not a
    terminal (a pipe or a file wants data, not box drawing), else a table, or one field per line where a
    table would squeeze column names. Record text is data, never terminal control: table and CSV cells
    have control characters escaped (`_safe`); JSON escapes C0 itself and C1 and bidi marks here."""
    columns = [_safe(str(c)) for c in columns]
    if fmt is None:
        import shutil

        width = shutil.get_terminal_size().columns
        fmt = (
            QueryFormat.csv
            if not sys.stdout.isatty()
            else QueryFormat.table
            if _fits(columns, rows, width)
            else QueryFormat.vertical
        )
    if fmt is QueryFormat.vertical:
        import shutil
        import textwrap

        label = max((len(c) for c in columns), default=0)
        room = max(shutil.get_terminal_size().columns - label - 3, 20)
        blocks = []
        for i, r in enumerate(rows, 1):
            lines = [f"-[ row {i} ]" + "-" * max(0, label - 6)]
            for c, v in zip(columns, r, strict=True):
                parts = textwrap.wrap(_cell(v), room, break_on_hyphens=False) or [""]
                lines.append(f"{c.ljust(label)} | {parts[0]}")
                lines += [f"{'':{label}} | {part}" for part in parts[1:]]
            blocks.append("\n".join(lines))
        typer.echo("\n".join(blocks))
    elif fmt is QueryFormat.json:
        import json

        def plain(v: Any) -> Any:
            if isinstance(v, float) and v != v:
                return None
            if hasattr(v, "isoformat"):
                return v.isoformat()
            return v

        text = json.dumps(
            [{c: plain(v) for c, v in zip(columns, r, strict=True)} for r in rows],
            ensure_ascii=False,
            indent=1,
            default=str,
        )
        # such characters occur only inside JSON strings, where \uXXXX is the same character
        typer.echo(_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text))
    elif fmt is QueryFormat.csv:
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if v is None else _safe(v) if isinstance(v, str) else _safe(str(v)) for v in r])
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(*columns, show_lines=False)
        for column in table.columns:
            column.no_wrap = False
            column.min_width = len(str(column.header))  # a column name is never cut
        for r in rows:
            # Text(), not str: a value holding '[bold]' must print as written, not as markup.
            table.add_row(*(Text(_cell(v)) for v in r))
        Console(soft_wrap=False).print(table)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run against the built DuckDB database (read-only).")],
    out: OutOpt = Path("dist"),
    format: RowsFormatOpt = None,
) -> None:
    """Run SQL against dist/ptedb.duckdb, opened read-only in a sandbox.

    The SQL sees the release database and nothing else: no other file, no network, no ATTACH, no
    extensions, no change of settings (see ptedb.SANDBOX). Temporary views, tables and macros work.
    """
    if not sql.strip():
        _fail("no SQL given: pass a statement, e.g. ptedb query 'SELECT * FROM ceg LIMIT 5'", 2)
    result = _run(_connect(out), sql)
    if result is not None:
        _print_rows(*result, format)


@app.command()
def ceg(
    out: OutOpt = Path("dist"),
    enhancement: Annotated[str | None, typer.Option(help="Only this enhancement id.")] = None,
    benchmark: Annotated[str | None, typer.Option(help="Only this benchmark id.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    format: RowsFormatOpt = None,
) -> None:
    """Show ptedb's CEG estimates (a multiplier on pre-training compute), one row per evaluation."""
    con = _connect(out)
    where, params = [], []
    for col, value in (("enhancement_id", enhancement), ("benchmark_id", benchmark), ("category", category)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    sql = (
        "SELECT evaluation_id, category, benchmark_id, model_id, ceg, ceg_kind, ceg_p05, ceg_p95, curve, "
        "reason FROM ceg" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY evaluation_id"
    )
    result = _run(con, sql, params)
    if result is None:  # pragma: no cover - a SELECT always describes its columns
        _fail("the ceg table returned nothing")
    columns, rows = result
    if not rows:
        _err("no evaluations match")
    _print_rows(columns, rows, format)


@app.command()
def tradeoff(
    ceg: Annotated[float | None, typer.Option(help="Compute-equivalent gain, a multiplier (e.g. 10).")] = None,
    training_compute: Annotated[
        float | None, typer.Option(help="Pre-training compute C of the base model, in FLOP (e.g. 3.14e23).")
    ] = None,
    one_time_fraction: Annotated[
        float, typer.Option(help="One-time cost as a fraction of pre-training compute (0.001 = 0.1%).")
    ] = 0.0,
    multiplier: Annotated[float, typer.Option(help="Inference-cost multiplier m (1 = unchanged).")] = 1.0,
    inferences: Annotated[float, typer.Option(help="Number of inferences Q over the model's lifetime.")] = 0.0,
    inference_compute: Annotated[
        float | None, typer.Option(help="Compute of one inference I, in FLOP; default sqrt(C).")
    ] = None,
    evaluation: Annotated[
        str | None, typer.Option(help="Take CEG, C, f and m from this evaluation id in the built database.")
    ] = None,
    out: OutOpt = Path("dist"),
    format: RowsFormatOpt = None,
) -> None:
    """Training compute saved against inference compute spent, and when enhancing beats training bigger.

    Compares enhancing a model trained with C, costing C·(1+f) + Q·m·I over Q inferences, with training
    one with CEG·C, costing CEG·C + Q·sqrt(CEG)·I, and prints the break-even number of inferences.
    """
    from ptedb import tradeoff as tr

    if evaluation is not None:
        found = _run(
            _connect(out),
            "SELECT c.ceg, c.base_compute_flop, coalesce(e.one_time_cost_fraction_of_pretraining, 0), "
            "coalesce(e.inference_cost_multiplier_value, 1), c.ceg_kind FROM ceg c JOIN evaluations e "
            "USING (evaluation_id) WHERE evaluation_id = ?",
            [evaluation],
        )
        row = found[1][0] if found and found[1] else None
        if row is None:
            _fail(f"no evaluation '{evaluation}' in {out}", 2)
        if row[0] is None:
            _fail(f"evaluation '{evaluation}' has no CEG estimate (see: ptedb ceg)", 1)
        if row[4] != "point":
            bound = "≥" if row[4] == "lower_bound" else "≤"
            _fail(
                f"evaluation '{evaluation}' has only a bound, CEG {bound} {row[0]:.3g}, not a point estimate; "
                "pass --ceg to compute the trade-off at a value of your choosing",
                1,
            )
        ceg, training_compute, one_time_fraction, multiplier, _ = row
    if ceg is None or training_compute is None:
        _fail("give --ceg and --training-compute, or --evaluation ID", 2)
    try:
        oom = tr.oom_tradeoff(ceg, multiplier)
        life = tr.lifecycle(
            training_compute,
            ceg,
            one_time_fraction=one_time_fraction,
            inference_multiplier=multiplier,
            inferences=inferences,
            inference_compute=inference_compute,
        )
    except ValueError as exc:
        _fail(str(exc), 2)
    rows = [
        ("training_oom_saved", oom.training_oom_saved, "log10(CEG): orders of magnitude of pre-training compute"),
        ("inference_oom_spent", oom.inference_oom_spent, "log10(m): orders of magnitude of inference compute"),
        (
            "inference_compute_flop",
            life.inference_compute,
            "FLOP per inference" + (" (estimated as sqrt(C))" if life.inference_compute_estimated else ""),
        ),
        ("enhance_cost_flop", life.enhance_cost, "C·(1+f) + Q·m·I"),
        ("train_bigger_cost_flop", life.train_bigger_cost, "CEG·C + Q·sqrt(CEG)·I"),
        ("cheaper", life.cheaper, f"at Q = {inferences:g} inferences"),
        ("break_even_inferences", life.break_even_inferences, life.break_even_note),
    ]
    _print_rows(["quantity", "value", "meaning"], rows, format)


@app.command()
def new(
    kind: Annotated[str, typer.Argument(help="enhancement, model, benchmark, baseline, source or tradeoff.")],
    id: Annotated[str, typer.Argument(help="Id of the new record: lowercase letters, digits and '-'.")],
    records: RecordsOpt = Path("records"),
) -> None:
    """Write a commented template for a new record, ready to fill in (see CONTRIBUTING.md).

    --records must be an existing records folder (one holding dataset.yaml or a record folder): a
    mistyped path is an error, never a new tree. The kind's folder is created inside it if missing.
    """
    import os
    import re

    from ptedb.loaders.scan import DATASET_FILE, RECORD_FOLDERS, looks_like_records
    from ptedb.schema.models import ID_PATTERN
    from ptedb.schema.templates import KINDS, template

    if kind not in KINDS:
        from ptedb.validation.dataset import suggest

        _fail(f"unknown kind '{kind}'{suggest(kind, KINDS)}; use one of: {', '.join(KINDS)}", 2)
    if not re.match(ID_PATTERN, id) or len(id) > 100:
        _fail(f"'{id}' is not a valid id: use lowercase letters, digits and '-', starting with a letter or digit", 2)
    if not records.is_dir():
        _fail(f"{records}: records directory not found (give --records the folder holding {DATASET_FILE})", 1)
    if not looks_like_records(records):
        _fail(
            f"{records}: not a records folder: it holds neither {DATASET_FILE} nor any of "
            f"{', '.join(RECORD_FOLDERS)} (create {records / DATASET_FILE} first)",
            1,
        )
    folder = records / KINDS[kind].folder
    path = folder / f"{id}.yaml"
    if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
        _fail(f"{folder} is not a folder (a link or a file); records go in a plain folder", 1)
    if os.path.lexists(path):
        _fail(f"{path} already exists; ids are never reused", 1)
    try:
        folder.mkdir(exist_ok=True)  # one level, inside a records folder that exists
        schema = Path("..") / ".." / "schema" / f"{kind}.schema.json"
        # "x": created afresh, never through an existing name or a link planted meanwhile
        with path.open("x", encoding="utf-8") as fh:
            fh.write(template(kind, id, schema_path=schema.as_posix()))
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}", 1)
    _err(f"wrote {path}: replace every TODO, then run 'ptedb validate'")


@app.command()
def migrate(
    records: RecordsOpt = Path("records"),
    write: Annotated[bool, typer.Option("--write", help="Rewrite the files (default: only report).")] = False,
) -> None:
    """Upgrade records written for an older schema_version to the current one.

    Reads through the same scan as validate: links, FIFOs and oversized files are reported, not read.
    """
    from ptedb.loaders.migrate import RecordsFolderError
    from ptedb.loaders.migrate import migrate as run_migrate

    try:
        outcomes = run_migrate(records, write=write)
    except RecordsFolderError as exc:
        _fail(str(exc), 1)
    errors = [o for o in outcomes if o.status == "error"]
    changed = [o for o in outcomes if o.status in ("migrated", "would-migrate")]
    for o in [*changed, *errors]:
        _err(
            f"{o.path}: {o.status}"
            + (f" from schema_version {o.old_version}" if o.old_version else "")
            + (f": {o.message}" if o.message else "")
        )
    if errors:
        raise typer.Exit(1)
    verb = "rewrote" if write else "would rewrite"
    _err(
        f"{len(outcomes)} records checked; {verb} {len(changed)}"
        + ("" if write or not changed else " (run with --write)")
    )


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="A built dist/ folder, or a git revision of records/.")],
    new: Annotated[str, typer.Argument(help="A built dist/ folder, or a git revision of records/.")] = "dist",
    format: Annotated[QueryFormat, typer.Option("--format", help="table (text) or json.")] = QueryFormat.table,
) -> None:
    """Added, changed (field by field) and removed ids between two builds, CEG included.

    Exits 1 when an id was removed (ids are stable; mark a record 'withdrawn' instead of deleting it) or a
    build is damaged; 2 when an argument is neither a build folder nor a git revision (a revision
    cannot start with '-').
    """
    import json

    from ptedb import diff as d
    from ptedb.revisions import load_side

    try:
        old_tables, old_meta = load_side(old, Path.cwd())
        new_tables, new_meta = load_side(new, Path.cwd())
    except d.DiffError as exc:
        _fail(_safe(str(exc)), exc.status)
    result = d.diff_tables(old_tables, new_tables)
    if format is QueryFormat.json:
        typer.echo(json.dumps(d.as_json(result, old_meta, new_meta), indent=1, ensure_ascii=False, default=str))
    else:
        typer.echo(d.as_text(result))
    removed = d.removed_ids(result)
    if removed:
        _err(
            f"error: {len(removed)} id(s) removed ({', '.join(removed[:5])}{'…' if len(removed) > 5 else ''}); "
            "ids are never deleted: restore the record (an enhancement can be marked 'status: withdrawn', "
            "with 'superseded_by' naming its replacement)"
        )
        raise typer.Exit(1)


@app.command()
def site(
    out: OutOpt = Path("dist"),
    serve: Annotated[bool, typer.Option("--serve", help="Serve the built site on 127.0.0.1 afterwards.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --serve (0 picks a free one).")] = 8000,
) -> None:
    """Build the static site into --out/site from the built database (run 'ptedb build' first)."""
    from ptedb.site import SiteError, build_site, make_server

    try:
        result = build_site(out)
    except SiteError as exc:
        _fail(f"{exc}; {out / 'site'} was left as it was")
    _err(f"built {result.site_dir} ({result.pages} pages) in {result.seconds:.1f} s")
    if serve:
        try:
            server: Any = make_server(result.site_dir, "127.0.0.1", port)
        except OSError as exc:
            _fail(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}", 2)
        host, bound = server.server_address[:2]
        _err(f"serving http://{host}:{bound}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:  # pragma: no cover - interactive only
            pass
        finally:
            server.server_close()


def main() -> None:
    """The `ptedb` command."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        _err("interrupted")
        sys.exit(130)
