"""`hookforge metrics import|report|sync|launch`, `hookforge dashboard` and `hookforge launch`, against the local
engine's persisted tables."""

from __future__ import annotations

import base64
import json
import mimetypes
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import IO, Annotated, Any
from urllib.parse import parse_qs, urlparse

import typer
from rich.console import Console
from rich.markup import escape

from hookforge.cli_options import HomeOption
from hookforge.metrics.compare import parse_targets
from hookforge.metrics.dashboard import Filters, respond, response_headers
from hookforge.metrics.ingest import IMPORT_REPORT_SUFFIX, ImportReport, import_file
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
def _engine(home: Path, *, writes: bool = True) -> Iterator[Any]:
    """The home's local service (started on first use): `.deps` talks to its tables and bucket; what a writing
    command wrote is persisted before it returns (a reading one holds nothing to persist)."""
    from hookforge.local.client import ServiceClient

    client = ServiceClient.ensure(home, announce=lambda line: console.print(f"[dim]{escape(line)}...[/dim]"))
    yield client
    if writes:
        client.sync()


class _ServiceMetrics:
    """The home's metrics store, reached through its local service, started on first use."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None and name == "requests":
            return 0  # the store's request counter: nothing asked yet
        if self._client is None:
            from hookforge.local.client import ServiceClient

            announce = lambda line: console.print(f"[dim]{escape(line)}...[/dim]")  # noqa: E731
            self._client = ServiceClient.ensure(self._home, announce=announce)
        return getattr(self._client.deps.metrics, name)

    def sync(self) -> None:
        if self._client is not None:
            self._client.sync()


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
    report_path = file.with_name(file.name + IMPORT_REPORT_SUFFIX)

    def save(report: ImportReport) -> None:
        # written in every outcome, a failed or interrupted import included (streamed: the report is small)
        with report_path.open("w", encoding="utf-8") as out:
            json.dump(report.to_dict(), out, indent=2, default=str)

    def open_file() -> tuple[IO[bytes], int]:
        return file.open("rb"), file.stat().st_size

    # the service starts only when the file's rows reach the store: an unreadable file is reported without it
    store = _ServiceMetrics(home)
    try:
        report = import_file(store, open_file, source=str(file), platform=platform, save=save)
    finally:
        store.sync()
    if report.error:
        console.print(f"[bold red]error:[/bold red] {escape(str(file))}: {escape(report.error)}")
        raise typer.Exit(code=2)
    console.print(
        f"[bold]{escape(str(report.platform))}[/bold] report {escape(str(file))}: {report.lines} rows — "
        f"{report.imported} imported, "
        f"{report.unchanged} unchanged, {report.bad_rows} bad ({len(report.hooks)} hooks)"
    )
    if report.not_hook_rows:
        ads = (
            "1 ad that is not a hookforge hook"
            if report.not_hook_ads == 1
            else (f"{report.not_hook_ads} ads that are not hookforge hooks")
        )
        examples = ", ".join(repr(n) for n in report.not_hook_examples)
        console.print(f"  {report.not_hook_rows} rows from {ads} (no hk-… id in the ad name, e.g. {escape(examples)})")
    for bad in report.bad[:50]:
        console.print(f"  line {bad.line}: {escape(str(bad.reason))}")
    if report.bad_rows > 50:
        listed = f"the first {len(report.bad)} are listed" if report.bad_rows > len(report.bad) else "all listed"
        console.print(f"  ... and {report.bad_rows - 50} more ({listed} in {escape(str(report_path))})")
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
    with _engine(home, writes=False) as engine:
        target = engine.deps.settings.hook_rate_target
        stats = build_report(
            engine.deps.metrics, target=target, platform=f.platform, date_from=f.date_from, date_to=f.date_to
        )
    if as_json:
        # one hook per line: readable, and each line goes through json's C encoder (indent= would not)
        rows = ",\n".join(json.dumps(s.to_dict(), ensure_ascii=False) for s in stats)
        typer.echo(f"[\n{rows}\n]" if rows else "[]")
    else:
        typer.echo(format_table(stats) if stats else "no hooks registered yet: run `hookforge demo` first")


@metrics_app.command("sync")
def sync_command(
    platform: Annotated[
        str | None, typer.Option("--platform", help="meta or tiktok (default: every platform with an account set).")
    ] = None,
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=400, help="Days up to today to re-read (default 7).")
    ] = None,
    home: HomeOption = Path(".hookforge"),
) -> None:
    """Pull every ad's daily numbers from Meta / TikTok and set them (restated days replace the stored ones)."""
    from hookforge.errors import ConfigError
    from hookforge.metrics.sync import run_sync, with_shell_accounts

    if platform is not None and platform not in ("meta", "tiktok"):
        raise typer.BadParameter("choose meta or tiktok", param_hint="--platform")
    with _engine(home) as engine:
        try:
            platforms = (platform,) if platform else ("meta", "tiktok")
            results = run_sync(with_shell_accounts(engine.deps), platforms=platforms, days=days)
        except ConfigError as e:
            console.print(f"[bold red]error:[/bold red] {escape(str(e))}")
            raise typer.Exit(code=2) from None
    failed = False
    for result in results:
        if isinstance(result, Exception):
            failed = True
            console.print(f"[bold red]{type(result).__name__}:[/bold red] {escape(str(result))}")
            continue
        console.print(escape(result.summary()))
        for skip in result.skipped[:20]:
            console.print(f"  skipped {escape(skip.ad)} {skip.day}: {escape(skip.reason)}")
        if len(result.skipped) > 20:
            console.print(f"  ... and {len(result.skipped) - 20} more skipped")
    if failed:
        raise typer.Exit(code=1)


# `hookforge launch` (top-level, `cli._LAZY_COMMANDS`) and `hookforge metrics launch` are this one function
@metrics_app.command("launch")
def launch_command(
    hook_id: Annotated[
        str, typer.Argument(metavar="HOOK_ID", help="The hook to launch (hk-…; `hookforge runs` lists them).")
    ],
    meta_adset: Annotated[
        str, typer.Option("--meta-adset", metavar="ID", help="The Meta ad set the ad goes into (digits).")
    ],
    page: Annotated[
        str | None,
        typer.Option(
            "--page", metavar="ID", help="The Facebook Page the ad runs as (default: the Page the ad set promotes)."
        ),
    ] = None,
    message: Annotated[str, typer.Option("--message", help="Primary text of the ad.")] = "",
    link: Annotated[str, typer.Option("--link", help="Destination URL (adds a Learn more button).")] = "",
    home: HomeOption = Path(".hookforge"),
) -> None:
    """Launch a finished hook as a Meta ad, always PAUSED: its videos per placement, poster and one creative.

    Uploads the hook's videos to the ad account (Stories and Reels get the 9:16 video, Feed the 4:5 or 1:1) and the
    poster as thumbnail, then creates one ad named "<brief> | <hook id>" in the ad set, PAUSED: hookforge never
    switches spend on. The ids are recorded on the hook, so the daily sync maps the ad's numbers to it by id even
    after the ad is renamed. Needs META_AD_ACCOUNT_ID and META_ACCESS_TOKEN (META_GRAPH_URL for a stand-in).
    A brief's `launch` block does the same at the end of its run. Prints the ad's ids as JSON on stdout.
    """
    from hookforge.errors import HookforgeError
    from hookforge.metrics.launch import launch_hook
    from hookforge.metrics.sync import with_shell_accounts

    with _engine(home) as engine:
        try:
            launched = launch_hook(
                with_shell_accounts(engine.deps), hook_id, adset_id=meta_adset, page_id=page, message=message, link=link
            )
        except HookforgeError as e:
            console.print(f"[bold red]{type(e).__name__}:[/bold red] {escape(str(e))}")
            raise typer.Exit(code=1) from None
    console.print(
        f"ad {launched.ad_id} created [bold]PAUSED[/bold] in ad set {launched.adset_id} (creative "
        f"{launched.creative_id}; {', '.join(f'{p}: {a}' for p, a in launched.placements.items())}); "
        "switch it on in Ads Manager when ready. TikTok: upload the 9:16 file in TikTok Ads Manager and name the "
        f"ad '… | {hook_id}' (its API needs an audited app); the daily sync finds it by name."
    )
    typer.echo(json.dumps(launched.model_dump(mode="json")))


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
        targets=parse_targets(deps.settings.hook_rate_targets),
        poster_url=lambda key: _poster_data_uri(deps.store, key),
    )


def dashboard_command(
    out: Annotated[Path | None, typer.Option("--out", help="Write the HTML dashboard to this file.")] = None,
    serve: Annotated[
        bool, typer.Option("--serve", help="Print its live URL (the local service serves it); keep it up until Ctrl-C.")
    ] = False,
    platform: PlatformFilter = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    home: HomeOption = Path(".hookforge"),
) -> None:
    """The hook-rate dashboard: ranking with interval whiskers and the target line, posters, sparklines."""
    if (out is None) == (not serve):
        raise typer.BadParameter("give exactly one of --out FILE or --serve")
    f = _filters(platform, date_from, date_to)
    with _engine(home, writes=False) as engine:
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_local(engine, f), encoding="utf-8")
            typer.echo(str(out.resolve()))
            return
        # the home's service serves it (always current: it reads the live tables); this command keeps it awake
        console.print(f"dashboard on {engine.dashboard_url}/ (served by the local service; Ctrl-C to stop watching)")
        typer.echo(f"{engine.dashboard_url}/")
        try:
            while True:
                time.sleep(60)
                engine.call("ping")
        except KeyboardInterrupt:
            pass


def allowed_hosts(port: int) -> frozenset[str]:
    """The only Host values `dashboard --serve` answers: anything else is DNS rebinding or a confused proxy."""
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})


def dashboard_handler(engine: Any) -> type[BaseHTTPRequestHandler]:
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
