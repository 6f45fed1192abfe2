"""`hookforge metrics import|report` and `hookforge dashboard`, against the local engine's persisted tables."""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlparse

import typer
from rich.console import Console
from rich.markup import escape

from hookforge.cli_options import HomeOption
from hookforge.errors import ReportInvalid
from hookforge.metrics.dashboard import Filters, respond, response_headers
from hookforge.metrics.ingest import IMPORT_REPORT_SUFFIX, import_csv
from hookforge.metrics.model import PLATFORMS
from hookforge.metrics.report import build_report, format_table

metrics_app = typer.Typer(
    help="Hook-rate metrics: import ad-platform reports, print the ranking.", no_args_is_help=True
)
console = Console(stderr=True)

PlatformFilter = Annotated[str | None, typer.Option("--platform", help=f"Only this platform: {', '.join(PLATFORMS)}.")]
FromOption = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD), inclusive.")]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD), inclusive.")]


@contextmanager
def _engine(home: Path) -> Iterator[Any]:
    from hookforge.local import LocalEngine

    with LocalEngine(home) as engine:
        yield engine


def _filters(platform: str | None, date_from: str | None, date_to: str | None) -> Filters:
    try:
        return Filters.parse(platform=platform, date_from=date_from, date_to=date_to)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


@metrics_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Meta / TikTok Ads Manager CSV export, or a generic CSV.", exists=True)],
    platform: Annotated[
        str | None, typer.Option("--platform", help="meta, tiktok or generic (default: detected from the header).")
    ] = None,
    home: HomeOption = Path(".hookforge"),
) -> None:
    """Import a report (set per day: importing it again changes nothing); writes FILE.import.json beside it."""
    if platform is not None and platform not in PLATFORMS:
        raise typer.BadParameter(f"choose one of: {', '.join(PLATFORMS)}", param_hint="--platform")
    try:
        text = file.read_text(encoding="utf-8-sig", errors="strict")
    except UnicodeDecodeError as e:
        console.print(
            f"[bold red]error:[/bold red] {escape(str(file))}: not UTF-8 text at byte {e.start}; "
            "export the report as CSV"
        )
        raise typer.Exit(code=2) from None
    with _engine(home) as engine:
        try:
            report = import_csv(engine.deps.metrics, text, platform=platform, source=str(file))
        except ReportInvalid as e:
            console.print(f"[bold red]error:[/bold red] {escape(str(file))}: {escape(str(e))}")
            raise typer.Exit(code=2) from None
    report_path = file.with_name(file.name + IMPORT_REPORT_SUFFIX)
    report_path.write_text(json.dumps(report.to_dict(), indent=2, default=str), encoding="utf-8")
    console.print(
        f"[bold]{escape(str(report.platform))}[/bold] report {escape(str(file))}: {report.lines} rows — "
        f"{report.imported} imported, "
        f"{report.unchanged} unchanged, {len(report.bad)} bad ({len(report.hooks)} hooks)"
    )
    for bad in report.bad[:50]:
        console.print(f"  line {bad.line}: {escape(str(bad.reason))}")
    if len(report.bad) > 50:
        console.print(f"  ... and {len(report.bad) - 50} more in {escape(str(report_path))}")
    typer.echo(str(report_path))


@metrics_app.command("report")
def report_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of objects instead of a table.")] = False,
    platform: PlatformFilter = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    home: HomeOption = Path(".hookforge"),
) -> None:
    """Every registered hook ranked by hook rate, with 95 % intervals and verdicts (zeros before any data)."""
    f = _filters(platform, date_from, date_to)
    with _engine(home) as engine:
        target = engine.deps.settings.hook_rate_target
        stats = build_report(
            engine.deps.metrics, target=target, platform=f.platform, date_from=f.date_from, date_to=f.date_to
        )
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in stats], indent=2, ensure_ascii=False))
    else:
        typer.echo(format_table(stats) if stats else "no hooks registered yet: run `hookforge demo` first")


def _poster_data_uri(store: Any, key: str) -> str | None:
    """Embed posters so the file works offline and on its own."""
    try:
        data = store.get_bytes(key)
    except Exception:  # a missing poster is shown as "no poster", never a broken page
        return None
    ctype = mimetypes.guess_type(key)[0] or "image/jpeg"
    return f"data:{ctype};base64,{base64.b64encode(data).decode()}"


def render_local(engine: Any, filters: Filters) -> str:
    query = {"platform": filters.platform or "", "from": filters.date_from or "", "to": filters.date_to or ""}
    return _respond(engine, "/dashboard", query)[2]


def _respond(engine: Any, path: str, query: dict[str, str]) -> tuple[int, str, str]:
    """The dashboard handler's own routes, on the local tables (posters inlined: no S3 endpoint on a laptop)."""
    deps = engine.deps
    return respond(
        path,
        query,
        metrics=deps.metrics,
        target=deps.settings.hook_rate_target,
        poster_url=lambda key: _poster_data_uri(deps.store, key),
    )


def dashboard_command(
    out: Annotated[Path | None, typer.Option("--out", help="Write the HTML dashboard to this file.")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve it on http://127.0.0.1:PORT until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8766,
    platform: PlatformFilter = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    home: HomeOption = Path(".hookforge"),
) -> None:
    """The hook-rate dashboard: ranking with interval whiskers and the target line, posters, sparklines."""
    if (out is None) == (not serve):
        raise typer.BadParameter("give exactly one of --out FILE or --serve")
    f = _filters(platform, date_from, date_to)
    with _engine(home) as engine:
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_local(engine, f), encoding="utf-8")
            typer.echo(str(out.resolve()))
            return
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(engine))
        console.print(f"dashboard on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def allowed_hosts(port: int) -> frozenset[str]:
    """The only Host values `dashboard --serve` answers: anything else is DNS rebinding or a confused proxy."""
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def _handler(engine: Any) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            port = self.server.server_address[1] if isinstance(self.server.server_address, tuple) else 0
            host = (self.headers.get("Host") or "").strip().lower()
            if host not in allowed_hosts(port):
                self._send(421, "text/plain; charset=utf-8", b"misdirected request: unexpected Host header")
                return
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, ctype, body = _respond(engine, "/dashboard" if url.path == "/" else url.path, query)
            self._send(status, ctype, body.encode())

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            for name, value in response_headers(ctype).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet; the console says enough
            return

    return Handler
