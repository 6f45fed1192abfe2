"""The `hookforge` command line: run the hook pipeline locally, end to end, with no AWS account."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hookforge.cli_lazy import LazyCommand, lazy_group
from hookforge.cli_options import HomeOption, OutOption
from hookforge.errors import HookforgeError

#: imported only when they run (their modules import the metrics store): `--help` and `presets` stay fast
_LAZY_COMMANDS = {
    "dashboard": LazyCommand(
        "hookforge.metrics.cli:dashboard_command",
        "The hook-rate dashboard: ranking with interval whiskers and the target line, posters, sparklines.",
    ),
    "metrics": LazyCommand(
        "hookforge.metrics.cli:metrics_app", "Hook-rate metrics: import ad-platform reports, print the ranking."
    ),
    # the same function as `hookforge metrics launch` (one code path; that spelling stays)
    "launch": LazyCommand(
        "hookforge.metrics.cli:launch_command",
        "Launch a finished hook as a Meta ad, always PAUSED: its videos per placement, poster and one creative.",
    ),
}

app = typer.Typer(
    name="hookforge",
    help=(
        "Make AI-generated visual hooks for video ads, and prove which ones work.\n\n"
        "A brief goes through inspiration -> candidate stills -> your pick -> image-to-video -> effects for every "
        "placement. Locally everything runs in-process on the same state machine as in AWS; without API keys the "
        "offline providers (catalog, placeholder, kenburns) are used."
    ),
    no_args_is_help=True,
    add_completion=False,
    # plain help: typer's Rich help panels print a type (`<bool>`) after every on/off flag, even --help
    rich_markup_mode=None,
    cls=lazy_group(_LAZY_COMMANDS),
    # on a wide terminal, each command's summary fits on its line
    context_settings={"max_content_width": 120},
)
console = Console(stderr=True)


def _e(value: object) -> str:
    """User- or data-derived text, printed literally by Rich (`[/bold]` in a brief must not be markup)."""
    return escape(str(value))


def _print_version(value: bool) -> None:
    if value:
        from hookforge import __version__

        typer.echo(f"hookforge {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print hookforge's version and exit."),
    ] = False,
) -> None:
    # the root group's own options; its help is the Typer's help above
    return None


def _run(
    brief: Path | bytes,
    *,
    home: Path,
    out: Path,
    pick_n: int | None,
    label: str,
    open_browser: bool = False,
    as_json: bool = False,
) -> None:
    """Start a run on the home's local service and follow it (see `hookforge.cli_runs`)."""
    from hookforge.cli_runs import start_run

    start_run(brief, home=home, out=out, pick_n=pick_n, label=label, open_browser=open_browser, as_json=as_json)


@app.command()
def run(
    brief: Annotated[
        Path, typer.Argument(help="Brief file (JSON or YAML); see examples/.", exists=True, dir_okay=False)
    ],
    pick: Annotated[
        int | None, typer.Option("--pick", min=1, help="Pick candidate N without asking (non-interactive).")
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the local approval page in your browser (without --pick).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (stdout) instead of the summary.")] = (
        False
    ),
    home: HomeOption = Path(".hookforge"),
    out: OutOption = Path("hookforge-out"),
) -> None:
    """Run one brief through the whole pipeline; the summary names the hook id for your ad name, the outputs and
    the cost, and the finished hook's path comes last.

    The run belongs to the home's local service (started on first use): without --pick it prints the approval
    page's link and waits for your decision; Ctrl-C detaches and the run goes on (`hookforge runs`).
    """
    _run(brief, home=home, out=out, pick_n=pick, label=str(brief), open_browser=open_browser, as_json=as_json)


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object (stdout) instead of the summary.")] = (
        False
    ),
    home: HomeOption = Path(".hookforge"),
    out: OutOption = Path("hookforge-out"),
) -> None:
    """Run the built-in demo brief with --pick 1 (offline providers; no keys needed)."""
    data = resources.files("hookforge").joinpath("data/demo_brief.json").read_bytes()
    _run(data, home=home, out=out, pick_n=1, label="the demo brief", as_json=as_json)


@app.command()
def presets() -> None:
    """List the effects presets: what each does, its move in the first second, its sound and its length."""
    from hookforge.effects import PRESETS

    for preset in PRESETS.values():
        typer.echo(f"{preset.name:<10} {preset.description}")
        typer.echo(f"{'':<10} first second: {preset.first_second}")
        typer.echo(f"{'':<10} sound: {preset.sound}")
        typer.echo(f"{'':<10} length: {preset.length}")


@app.command()
def voices() -> None:
    """List the voiceover voices (Amazon Polly neural voices in AWS; espeak-ng speaks them locally)."""
    from hookforge.voice import DEFAULT_VOICE, VOICES

    for voice in VOICES.values():
        default = "  (default)" if voice.id == DEFAULT_VOICE else ""
        typer.echo(f"{voice.id:<10} {voice.language:<6} {voice.gender:<7} locally: espeak-ng {voice.espeak}{default}")


@app.command()
def effects(
    source: Annotated[Path, typer.Argument(help="The clip to polish (MP4/MOV/WebM).", exists=True, dir_okay=False)],
    preset: Annotated[str, typer.Option("--preset", help="Preset name; `hookforge presets` lists them.")] = "punchy",
    aspect: Annotated[
        list[str] | None, typer.Option("--aspect", help="9:16, 1:1, 4:5 or 16:9; repeat for more (default 9:16).")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="Hook text, drawn literally.")] = None,
    captions: Annotated[bool, typer.Option("--captions", help="Burn the text in as timed captions instead.")] = False,
    overrides: Annotated[
        str | None, typer.Option("--overrides", help='Preset overrides as JSON, e.g. \'{"zoom": {"end": 1.3}}\'.')
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", min=0.5, max=60, help="Hook length in seconds (default: the clip's).")
    ] = None,
    focus: Annotated[
        str | None, typer.Option("--focus", help="Where the subject is, as x,y fractions (default: found).")
    ] = None,
    music: Annotated[
        Path | None, typer.Option("--music", help="A music file for the bed (default: the preset's).", dir_okay=False)
    ] = None,
    voiceover: Annotated[str | None, typer.Option("--voiceover", help="A line to speak over the hook.")] = None,
    voice: Annotated[str, typer.Option("--voice", help="Voice of --voiceover; `hookforge voices` lists them.")] = (
        "Joanna"
    ),
    no_audio: Annotated[bool, typer.Option("--no-audio", help="Render without an audio track.")] = False,
    placement: Annotated[
        list[str] | None,
        typer.Option("--placement", help="Only these placements' safe zones (tiktok, reels, ...); repeat for more."),
    ] = None,
    guides: Annotated[
        bool, typer.Option("--guides", help="Also write one PNG per placement: frame 0 with the platform's UI drawn.")
    ] = False,
    out: Annotated[Path, typer.Option("--out", help="Folder for the hooks, poster and preview.")] = Path(
        "hookforge-out/effects"
    ),
) -> None:
    """Render one clip with a preset into every aspect in one ffmpeg pass, without the rest of the pipeline.

    Prints each output path (hooks, then poster and preview, then guides), one per line.
    """
    from hookforge.observability import logger

    # stdout carries only the output paths; step logs are held back for this command only
    previous_level = logger.log_level
    logger.setLevel("WARNING")
    try:
        _render_effects(
            source,
            out,
            preset=preset,
            aspects=aspect or ["9:16"],
            text=text,
            captions=captions,
            overrides=overrides,
            duration=duration,
            focus=focus,
            music=music,
            voiceover=voiceover,
            voice=voice,
            audio=not no_audio,
            placements=placement,
            guides=guides,
        )
    finally:
        logger.setLevel(previous_level)


def _parse_focus(focus: str | None) -> tuple[float, float] | None:
    from hookforge.errors import EffectsInvalid

    if focus is None:
        return None
    try:
        x, y = (float(part) for part in focus.split(","))
    except ValueError as e:
        raise EffectsInvalid(f"--focus {focus!r}: give x,y as fractions of the frame, e.g. --focus 0.3,0.4") from e
    return x, y


def _render_effects(
    source: Path,
    out: Path,
    *,
    preset: str,
    aspects: list[str],
    text: str | None,
    captions: bool,
    overrides: str | None,
    duration: float | None,
    focus: str | None,
    music: Path | None,
    voiceover: str | None,
    voice: str,
    audio: bool,
    placements: list[str] | None,
    guides: bool,
) -> None:
    import json
    import tempfile

    from hookforge.effects.focus import focus_from_point
    from hookforge.effects.inspection import Inspection
    from hookforge.effects.safezones import placements_for
    from hookforge.errors import EffectsInvalid

    try:
        changes = json.loads(overrides) if overrides else None
    except ValueError as e:
        raise EffectsInvalid(f"--overrides is not valid JSON: {e}") from e
    if changes is not None and not isinstance(changes, dict):
        raise EffectsInvalid('--overrides must be a JSON object, e.g. {"zoom": {"end": 1.3}}')
    point = _parse_focus(focus)
    subject = focus_from_point(*point) if point else None
    for aspect in aspects:
        placements_for(aspect, placements)  # unknown placement names fail before anything is rendered
    # ffmpeg starts reading the clip (header, decode, subject, loudness) while the renderer and its presets' models
    # are imported below: the render's plan needs both
    inspection = Inspection(source, focus=subject, sound=audio)

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hookforge.effects import render
    from hookforge.effects.guides import write_guides
    from hookforge.effects.mix import Soundtrack
    from hookforge.effects.sound import check_music
    from hookforge.media import frame_at

    if voiceover is not None:
        from hookforge.voice import check_voiceover

        check_voiceover(voiceover, voice)
    with tempfile.TemporaryDirectory(prefix="hookforge-cli-") as tmp:
        soundtrack = Soundtrack(enabled=audio)
        cues = None
        if audio and music is not None:
            soundtrack = Soundtrack(music=music, music_seconds=check_music(music).duration)
        if audio and voiceover is not None:
            from hookforge.voice import EspeakSpeaker

            speech = EspeakSpeaker().synthesize(voiceover, voice, Path(tmp), words_per_caption=3)
            soundtrack, cues = soundtrack.spoken(speech)
        columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%")]
        with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task(f"Rendering {_e(preset)} for {_e(', '.join(aspects))}", total=1.0)
            result = render(
                source,
                out,
                preset=preset,
                aspects=aspects,
                text=text,
                captions=captions or None,
                overrides=changes,
                duration=duration,
                focus=subject,
                placements=placements,
                soundtrack=soundtrack,
                cues=cues,
                inspection=inspection,
                progress=lambda done: bar.update(task, completed=done),
            )
    sound = result.sound.describe() if result.sound is not None and audio else "no audio track"
    console.print(
        f"[bold green]Rendered[/bold green] {_e(preset)} in {result.seconds:.1f}s ({result.duration:.2f}s long)"
    )
    console.print(f"  sound: {_e(sound)}")
    if result.focus is not None:
        console.print(f"  subject: ({result.focus.x:.2f}, {result.focus.y:.2f}) from {_e(result.focus.source)}")
    for note in result.notes:
        console.print(f"  [yellow]note:[/yellow] {_e(note)}")
    paths = [*result.outputs.values(), result.poster, result.preview]
    if guides:
        frames = {aspect: frame_at(path, 0.0) for aspect, path in result.outputs.items()}
        paths += list(write_guides(frames, out / "guides", only=placements).values())
    for path in paths:
        typer.echo(str(path))


def _register_run_commands() -> None:
    """`runs`, `approve`, `resume`, `upload`, `stop`: the day around the pipeline (hookforge.cli_runs)."""
    from hookforge import cli_runs

    app.command("runs")(cli_runs.runs_command)
    app.command("approve")(cli_runs.approve_command)
    app.command("resume")(cli_runs.resume_command)
    app.command("upload")(cli_runs.upload_command)
    app.command("stop")(cli_runs.stop_command)


_register_run_commands()

# hook-rate metrics: `hookforge metrics import|report`, `hookforge dashboard`, `hookforge launch` are _LAZY_COMMANDS
# (listed last in help)


def main() -> None:
    """Entry point: named errors print as one clear line, never a traceback."""
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    try:
        app()
    except HookforgeError as e:
        # soft_wrap: one line, never broken inside the file path or the field it names
        console.print(f"[bold red]error:[/bold red] {_e(e.name)}: {_e(e)}", soft_wrap=True)
        if e.hint:
            console.print(f"  {_e(e.hint)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
