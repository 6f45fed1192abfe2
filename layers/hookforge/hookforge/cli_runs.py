"""The day around the pipeline: `run`/`demo` as clients of the home's local service, and `runs`, `approve`,
`resume`, `stop`, `upload`. Runs belong to the service, so they outlive the terminal: Ctrl-C detaches.
"""

from __future__ import annotations

import json
import shutil
import time
import webbrowser
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from hookforge.cli_options import HomeOption, OutOption
from hookforge.errors import (
    ConfigError,
    DecisionInvalid,
    ImageInvalid,
    RunNotFound,
    RunNotWaiting,
    ServiceUnavailable,
    UploadRejected,
)

console = Console(stderr=True, soft_wrap=True)  # paths and links stay whole, to copy
#: what each state means to a person watching the run
STEP_LABELS = {
    "ValidateBrief": "Checking the brief",
    "FetchInspiration": "Finding proven prompts",
    "GenerateCandidates": "Generating candidate stills",
    "RequestSelection": "Waiting for the pick",
    "SubmitVideo": "Turning the still into a clip",
    "PollVideo": "Waiting for the clip",
    "ApplyEffects": "Rendering effects for every placement",
    "RegisterHook": "Registering the hook for hook-rate tracking",
    "NotifyDone": "Notifying the owner",
    "LaunchPausedAd": "Launching the hook as a PAUSED ad",
    "RecordFailure": "Recording the failure",
}
_WAITING = ("AWAITING_SELECTION",)
_TERMINAL = ("SUCCEEDED", "FAILED")
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object (stdout) instead of the summary.")]
PickOption = Annotated[
    int | None, typer.Option("--pick", min=1, help="Pick candidate N without asking (non-interactive).")
]
OpenOption = Annotated[bool, typer.Option("--open", help="Open the approval page in your browser.")]
StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack", help="A deployed hookforge stack: its Step Functions history and redrive, not the local service."
    ),
]


def _e(value: object) -> str:
    """User- or data-derived text, printed literally by Rich."""
    return escape(str(value))


def _client(home: Path) -> Any:
    from hookforge.local.client import ServiceClient

    return ServiceClient.ensure(home, announce=lambda line: console.print(f"[dim]{_e(line)}...[/dim]"))


def hook_id_for(run_id: str) -> str:
    from hookforge.steps.register_hook import hook_id_for as derive

    return derive(run_id)


def check_out(home: Path, out: Path) -> None:
    bucket = (home / "bucket").resolve()
    if out.resolve() == bucket or bucket in out.resolve().parents:
        # the run folder would be copied onto itself once the run succeeded
        raise ConfigError(f"--out {out} is inside the local state's bucket ({bucket}); choose a folder outside it")


# ---------------------------------------------------------------------------------------------- run
def submit(client: Any, brief: Path | bytes, label: str) -> tuple[str, str]:
    """Put the brief in the bucket (as an S3 upload would) and start a run on the service."""
    from hookforge.local.staging import stage_brief

    del label
    key = stage_brief(client.deps.store, brief)
    started = client.call("start", {"brief_key": key})
    return str(started["run_id"]), str(started["execution_arn"])


def follow(
    client: Any,
    run_id: str,
    execution_arn: str,
    *,
    out: Path,
    pick_n: int | None,
    open_browser: bool = False,
    as_json: bool = False,
) -> None:
    """Watch a run to its end, answering or announcing its picks; then the summary (or `--json`). Ctrl-C detaches:
    the run goes on in the service."""
    from botocore.exceptions import BotoCoreError

    from hookforge.approval.records import Decision, decide

    deps = client.deps
    sfn = deps.client("stepfunctions")
    seen = 0
    plan_shown = as_json
    announced: set[str] = set()
    try:
        with console.status("Starting the state machine...") as status:
            while True:
                desc = sfn.describe_execution(executionArn=execution_arn)
                events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
                names = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
                for name in names[seen:]:
                    if name in STEP_LABELS:
                        console.print(f"  [green]•[/green] {STEP_LABELS[name]} [dim]({name})[/dim]")
                        status.update(STEP_LABELS[name] + "...")
                seen = len(names)
                if not plan_shown and (len(names) > 1 or desc["status"] != "RUNNING"):
                    plan_shown = True  # ValidateBrief has checked every provider and recorded the plan
                    for line in (deps.runs.get(run_id) or {}).get("plan") or []:
                        console.print(f"    [dim]plan:[/dim] {_e(line)}")
                if desc["status"] != "RUNNING":
                    break
                record = deps.approvals.pending_for_run(run_id)
                if record is not None and record.approval_id not in announced:
                    announced.add(record.approval_id)
                    if pick_n is not None:
                        decision = Decision(action="pick", index=pick_n, decided_by="--pick")
                        try:
                            decide(deps.approvals, sfn, record.approval_id, decision)
                        except DecisionInvalid as e:
                            raise DecisionInvalid(
                                f"--{e}", hint=f"the run waits: `hookforge approve {run_id} --pick N`"
                            ) from None
                    else:
                        _announce_link(deps, client.approval_url, record, open_browser=open_browser, following=True)
                time.sleep(0.2)
    except (OSError, BotoCoreError) as e:  # the service went away (killed, the machine restarted)
        raise ServiceUnavailable(
            f"the local service stopped while run {run_id} was going ({type(e).__name__})",
            hint=f"`hookforge resume {run_id} --home {client.home}` continues it from its last completed step",
        ) from None
    except KeyboardInterrupt:
        console.print(
            f"\n[yellow]detached[/yellow]: run {_e(run_id)} goes on in the local service.\n"
            f"  hookforge runs --home {_e(client.home)}          its state\n"
            f"  hookforge approve {_e(run_id)} --home {_e(client.home)}   its approval page (or --pick N)\n"
            f"  hookforge resume {_e(run_id)} --home {_e(client.home)}    follow it again, or continue it later"
        )
        raise typer.Exit(code=130) from None
    client.sync()
    summarize(client, run_id, desc, out=out, as_json=as_json)


def _announce_link(deps: Any, base_url: str, record: Any, *, open_browser: bool, following: bool = False) -> None:
    link = deps.signer.link(base_url, record.approval_id, record.expires_at)
    detach = "; Ctrl-C detaches (the run waits)" if following else ""
    console.print(
        f"\nPick a candidate for run {_e(record.run_id)} (round {record.round + 1} of at most "
        f"{record.max_rounds + 1}): {_e(link)}\n  open it in a browser to decide{detach}",
        soft_wrap=True,  # the link must stay on one line to be copied or clicked
    )
    if open_browser:
        webbrowser.open(link)


def _cost(run: dict[str, Any], output: dict[str, Any]) -> float:
    from hookforge.runs import run_cost

    return run_cost(run, output)


def _notes(run: dict[str, Any], output: dict[str, Any]) -> list[str]:
    notes: list[str] = []
    for source in (run.get("notes"), output.get("notes"), (output.get("render") or {}).get("notes")):
        if isinstance(source, list):
            notes.extend(str(n) for n in source if str(n) not in notes)
    return notes


def _launch_outcome(run: dict[str, Any], output: dict[str, Any]) -> dict[str, Any] | None:
    """The run's launch (LaunchPausedAd) as the execution ended it: the PAUSED ad's ids, or the named error (with
    the message the function recorded on the run, when it could: a timeout records nothing); None when the brief
    asked for no launch."""
    from hookforge.models import StepError

    kept, recorded = output.get("launch"), run.get("launch")
    if not isinstance(kept, dict):
        return None
    if kept.get("status") != "FAILED":
        return kept
    if isinstance(recorded, dict) and recorded.get("status") == "FAILED" and recorded.get("error") == kept.get("error"):
        return recorded
    error = StepError.model_validate({"Error": kept.get("error") or "", "Cause": kept.get("cause")})
    return {"platform": "meta", "status": "FAILED", "error": error.error, "message": error.message()}


def summarize(client: Any, run_id: str, desc: dict[str, Any], *, out: Path, as_json: bool) -> None:
    deps = client.deps
    run = deps.runs.get(run_id) or {}
    output = json.loads(desc.get("output") or "{}")
    source = client.home / "bucket" / "runs" / run_id
    target = out / run_id
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    hook_id = hook_id_for(run_id)
    brief_name = str(run.get("brief_name") or (output.get("brief") or {}).get("name") or "hook")
    outputs = {
        aspect: str((target / "hooks" / Path(key).name).resolve())
        for aspect, key in ((output.get("render") or {}).get("outputs") or {}).items()
    }
    succeeded = desc["status"] == "SUCCEEDED"
    summary = {
        "run_id": run_id,
        "status": desc["status"],
        "hook_id": hook_id if succeeded else None,
        "ad_name": f"{brief_name} | {hook_id}" if succeeded else None,
        "brief": brief_name,
        "folder": str(target.resolve()),
        "outputs": outputs,
        "poster": str((target / "poster.jpg").resolve()) if succeeded else None,
        "sound": (output.get("render") or {}).get("sound"),
        "cost_usd": _cost(run, output),
        "notes": _notes(run, output),
        "error": run.get("error") or desc.get("error"),
        "message": run.get("error_message") or desc.get("cause"),
        "failed_state": run.get("failed_state"),
        # the brief's opt-in launch: the PAUSED ad's ids, or the failure that left the hook unlaunched
        "launch": _launch_outcome(run, output),
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        if not succeeded:
            raise typer.Exit(code=1)
        return
    for note in summary["notes"]:
        console.print(f"  [yellow]note:[/yellow] {_e(note)}")
    if not succeeded:
        console.print(f"[bold red]error:[/bold red] {_e(summary['error'])}: {_e(summary['message'])}")
        if summary["failed_state"]:
            failed = _e(summary["failed_state"])
            console.print(f"  failed at step {failed}; everything produced so far is in {_e(target)}")
        console.print(f"  failure record: {_e(target / 'failure.json')}")
        raise typer.Exit(code=1)
    console.print(f"[bold green]Hook ready[/bold green]: [bold]{_e(hook_id)}[/bold] (run {_e(run_id)})")
    console.print(f"  put this in the ad's name:  [bold]{_e(summary['ad_name'])}[/bold]")
    console.print("  (hook-rate imports and syncs find the hook by its id in the ad name)")
    for aspect, path in outputs.items():
        console.print(f"  {_e(aspect):<5} {_e(path)}")
    console.print(f"  poster: {_e(summary['poster'])}; sound: {_e(summary['sound'] or 'none')}")
    console.print(f"  cost: US${summary['cost_usd']:.2f}; every file of the run: {_e(target)}")
    launch = summary["launch"]
    if launch is not None and launch.get("status") == "PAUSED":
        placements = ", ".join(f"{p}: {a}" for p, a in (launch.get("placements") or {}).items())
        console.print(
            f"  launched: Meta ad [bold]{_e(launch.get('ad_id'))}[/bold] created [bold]PAUSED[/bold] in ad set "
            f"{_e(launch.get('adset_id'))} ({_e(placements)}); switch it on in Ads Manager when ready"
        )
    elif launch is not None:
        console.print(
            f"  [yellow]launch failed[/yellow]: {_e(launch.get('error'))}: {_e(launch.get('message'))}\n"
            f"  the hook is made; launch it again with `hookforge launch {_e(hook_id)} --meta-adset ID`"
        )
    console.print(
        f"[dim]  the local service for {_e(client.home)} stays up until idle (`hookforge runs` lists runs; "
        f"`hookforge stop --home {_e(client.home)}` ends it now)[/dim]"
    )
    if outputs:  # the last line is the finished hook's path, for scripts
        typer.echo(next(iter(outputs.values())))


def start_run(
    brief: Path | bytes, *, home: Path, out: Path, pick_n: int | None, label: str, open_browser: bool, as_json: bool
) -> None:
    check_out(home, out)
    if isinstance(brief, Path):
        from hookforge.brief_check import check_brief_file

        check_brief_file(brief)  # a typo is reported against the user's file, and leaves no run behind
    client = _client(home)
    run_id, arn = submit(client, brief, label)
    if not as_json:
        console.print(
            f"[bold]hookforge[/bold] running {_e(label)}: run {_e(run_id)}, "
            f"hook [bold]{_e(hook_id_for(run_id))}[/bold]",
            soft_wrap=True,
        )
    follow(client, run_id, arn, out=out, pick_n=pick_n, open_browser=open_browser, as_json=as_json)


# ---------------------------------------------------------------------------------------------- commands
def runs_command(
    home: HomeOption = Path(".hookforge"),
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many, newest first.")] = 20,
    stack: StackOption = None,
) -> None:
    """List runs: state, step, age, hook id and cost (newest first)."""
    if stack is not None:
        from hookforge.stack_runs import StackRuns

        _print_runs(StackRuns(stack).list(limit=limit), as_json=as_json, where=f"stack {stack}")
        return
    client = _client(home)
    deps = client.deps
    sfn = deps.client("stepfunctions")
    live = {
        e["name"]
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=deps.settings.state_machine_arn, statusFilter="RUNNING"
        )
        for e in page["executions"]
    }
    rows = []
    now = time.time()
    for run in deps.runs.list_runs(limit=limit):
        run_id = str(run.get("run_id"))
        state = str(run.get("status", "?"))
        if state not in _TERMINAL and run_id not in live:
            state = "INTERRUPTED"
        rows.append(
            {
                "run_id": run_id,
                "state": state,
                "step": run.get("failed_state") or run.get("step") or "",
                "age_seconds": int(now - float(run.get("started_at") or now)),
                "hook_id": run.get("hook_id") or (hook_id_for(run_id) if state != "FAILED" else ""),
                "brief": run.get("brief_name") or "",
                "cost_usd": _cost(run, {}),
            }
        )
    _print_runs(rows, as_json=as_json, where=str(home))


def _print_runs(rows: list[dict[str, Any]], *, as_json: bool, where: str) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo(f"no runs in {where} yet: `hookforge demo` makes one")
        return
    typer.echo(f"{'RUN':<32} {'STATE':<19} {'STEP':<18} {'AGE':>6}  {'HOOK':<14} {'COST':>7}  BRIEF")
    for row in rows:
        typer.echo(
            f"{row['run_id']:<32} {row['state']:<19} {row['step']:<18} {_age(int(row['age_seconds'])):>6}  "
            f"{row['hook_id']:<14} {row['cost_usd']:>7.2f}  {row['brief']}"
        )
    if any(row["state"] == "INTERRUPTED" for row in rows):
        typer.echo("INTERRUPTED runs continue with `hookforge resume RUN` (nothing they made is paid for twice)")
    if any(row.get("redrivable") for row in rows):
        typer.echo("failed runs redrive from the state that failed with `hookforge resume RUN --stack STACK`")


def _age(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def approve_command(
    run_id: Annotated[str, typer.Argument(help="The run waiting for a pick (`hookforge runs` lists them).")],
    pick: PickOption = None,
    open_browser: OpenOption = False,
    home: HomeOption = Path(".hookforge"),
    stack: StackOption = None,
) -> None:
    """Reopen a waiting run's approval page (prints its link), or answer it with --pick N."""
    from hookforge.approval.records import Decision, decide

    if stack is not None:
        _approve_in_stack(stack, run_id, pick, open_browser=open_browser)
        return
    client = _client(home)
    deps = client.deps
    run = deps.runs.get(run_id)
    if run is None:
        raise RunNotFound(f"no run {run_id!r} in {home}")
    record = deps.approvals.pending_for_run(run_id)
    if record is None or str(run.get("status")) not in _WAITING:
        raise RunNotWaiting(
            f"run {run_id} is not waiting for a pick (state: {run.get('status')}, step: {run.get('step') or '-'})"
        )
    if not client.call("running", {"run_id": run_id})["running"]:
        # interrupted while it waited (a killed service, a reboot): resume it; its waiting task comes back with a
        # new token, which the same approval (and the link the reviewer has) now answers
        client.call("resume", {"run_id": run_id})
        console.print(f"resumed run {_e(run_id)}, which was interrupted while it waited for its pick")
        record = _retokened(deps, run_id, record.task_token)
    if pick is None:
        _announce_link(deps, client.approval_url, record, open_browser=open_browser)
        return
    decide(
        deps.approvals,
        deps.client("stepfunctions"),
        record.approval_id,
        Decision(action="pick", index=pick, decided_by="hookforge approve"),
    )
    client.sync()
    console.print(
        f"picked candidate {pick} for run {_e(run_id)}; it goes on in the local service "
        f"(`hookforge resume {_e(run_id)}` follows it)"
    )


def _approve_in_stack(stack: str, run_id: str, pick: int | None, *, open_browser: bool) -> None:
    from hookforge.approval.records import Decision, decide
    from hookforge.stack_runs import StackRuns

    runs = StackRuns(stack)
    record = runs.pending(run_id)
    deps = runs.deps
    if pick is None:
        _announce_link(deps, deps.settings.approval_base_url, record, open_browser=open_browser)
        return
    decide(
        deps.approvals,
        runs.client("stepfunctions"),
        record.approval_id,
        Decision(action="pick", index=pick, decided_by="hookforge approve"),
    )
    console.print(f"picked candidate {pick} for run {_e(run_id)} in stack {_e(stack)}")


def _retokened(deps: Any, run_id: str, old_token: str, *, timeout: float = 120.0) -> Any:
    """The run's approval once the resumed run's waiting task has given it its new token."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = deps.approvals.pending_for_run(run_id)
        if record is not None and record.task_token != old_token:
            return record
        time.sleep(0.2)
    raise RunNotWaiting(
        f"run {run_id} was resumed but has not come back to its pick yet",
        hint=f"`hookforge resume {run_id}` follows it; approve once it waits",
    )


def resume_command(
    run_id: Annotated[str, typer.Argument(help="The run to continue (`hookforge runs` lists them).")],
    pick: PickOption = None,
    open_browser: OpenOption = False,
    as_json: JsonOption = False,
    home: HomeOption = Path(".hookforge"),
    out: OutOption = Path("hookforge-out"),
    stack: StackOption = None,
) -> None:
    """Continue a run from its last completed step (after a killed service or a reboot), reusing everything it
    made; or follow a run that is still going. Prints the summary when it ends. With --stack: Step Functions'
    redrive of a failed execution, from the state that failed."""
    if stack is not None:
        from hookforge.stack_runs import StackRuns

        arn = StackRuns(stack).resume(run_id)
        if as_json:
            typer.echo(json.dumps({"run_id": run_id, "execution_arn": arn, "redriven": True}))
        else:
            console.print(f"redriven run {_e(run_id)} from the state that failed: {_e(arn)}")
        return
    check_out(home, out)
    client = _client(home)
    deps = client.deps
    run = deps.runs.get(run_id)
    if client.call("running", {"run_id": run_id})["running"]:
        arn = f"{deps.settings.state_machine_arn.replace(':stateMachine:', ':execution:')}:{run_id}"
        if not as_json:
            console.print(f"run {_e(run_id)} is running; following it")
    else:
        arn = str(client.call("resume", {"run_id": run_id})["execution_arn"])
        if not as_json:
            step = (run or {}).get("step") or "its start"
            console.print(f"resuming run {_e(run_id)} after {_e(step)}: completed steps are reused, not repeated")
    follow(client, run_id, arn, out=out, pick_n=pick, open_browser=open_browser, as_json=as_json)


def stop_command(home: HomeOption = Path(".hookforge")) -> None:
    """Stop the home's local service (its state is saved; waiting runs continue with `hookforge resume`)."""
    from hookforge.local.client import ServiceClient

    client = ServiceClient.running(home)
    if client is None:
        typer.echo(f"no local service runs for {home}")
        return
    client.stop()
    typer.echo(f"stopped the local service for {Path(home).resolve()}")


#: what `upload` accepts, as the upload provider does (PNG, JPEG, WebP)
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def upload_command(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A folder of images (PNG, JPEG, WebP), e.g. Midjourney exports.", exists=True, file_okay=False
        ),
    ],
    brief: Annotated[str, typer.Option("--brief", help="The brief's name (its `name` field) the images are for.")],
    home: HomeOption = Path(".hookforge"),
) -> None:
    """Check your own images and store them where a brief's `uploads` finds them (uploads/<brief>/)."""
    from hookforge.local.staging import check_upload, safe_name
    from hookforge.models import is_brief_name

    if not is_brief_name(brief):
        raise UploadRejected(f"--brief {brief!r} is not a brief name: lowercase letters, digits and '-'")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise UploadRejected(f"{folder} holds no files; put your PNG, JPEG or WebP images in it")
    checked: list[tuple[Path, bytes]] = []
    for path in files:
        if path.suffix.lower() not in _IMAGE_SUFFIXES:
            raise ImageInvalid(f"{path}: not an image hookforge takes (PNG, JPEG or WebP); nothing was uploaded")
        checked.append((path, check_upload(path)))
    if len(checked) > 8:
        raise UploadRejected(f"{folder} holds {len(checked)} images; a brief takes at most 8")
    client = _client(home)
    names = []
    for path, data in checked:
        name = safe_name(path.name)
        client.deps.store.put_bytes(f"uploads/{brief}/{name}", data, content_type=_ctype(path))
        names.append(name)
    client.sync()
    console.print(f"stored {len(names)} images under uploads/{_e(brief)}/ in {_e(home)}; in the brief:")
    typer.echo(json.dumps({"name": brief, "images": {"provider": "upload"}, "uploads": names}))


def _ctype(path: Path) -> str:
    return {".png": "image/png", ".webp": "image/webp"}.get(path.suffix.lower(), "image/jpeg")
