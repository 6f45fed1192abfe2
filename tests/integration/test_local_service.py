"""The local service: one per home, runs that outlive the terminal and the service itself.

Every command here is a real `hookforge` process, as a user types it; the service is the real background process
those commands start. Its paid providers are stand-ins (tests/support/service_sim.py, loaded into the service by
`HOOKFORGE_SERVICE_PRELOAD`) that count what they are asked, so a resumed run can be shown to pay for nothing
twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hookforge.errors import RunNotFound, RunNotResumable
from hookforge.local.client import ServiceClient
from tests.conftest import ROOT, tiny_brief, write_clip
from tests.support.service_sim import counts

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    yield home
    client = ServiceClient.running(home)
    if client is not None and not client.stop():
        os.kill(client.pid, signal.SIGKILL)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clip = write_clip(tmp_path / "runway.mp4", seconds=2.0)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "hookforge")]),
        "HOOKFORGE_SERVICE_PRELOAD": "tests.support.service_sim:install",
        "HOOKFORGE_SIM_CLIP": str(clip),
        "HOOKFORGE_TIME_SCALE": "0.01",
        "HOOKFORGE_SERVICE_IDLE": "300",
        "COLUMNS": "200",
    }


#: how long a command may take to exit after Ctrl-C or a killed service before the test calls it hung: a guard
#: against hangs, not a speed check
HANG = 60


def hookforge(env: dict[str, str], *args: str, check: bool = True, timeout: float = 300) -> Any:
    proc = subprocess.run(
        [sys.executable, "-m", "hookforge.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc


def _ctrl_c_as_in_a_terminal() -> None:
    # a command started under a wrapper that ignores SIGINT (GNU time, a background job without job control)
    # inherits that, and Python then installs no KeyboardInterrupt: the Ctrl-C the tests send would do nothing
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "hookforge.cli", *args]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_in_a_terminal,  # noqa: PLW1509 - only resets one signal before exec
    )


def brief_file(tmp_path: Path, name: str, **overrides: Any) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(tiny_brief(name=name, **overrides)))
    return path


def runs(env: dict[str, str], home: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads(hookforge(env, "runs", "--json", "--home", str(home)).stdout)
    return {row["run_id"]: row for row in rows}


def wait_for(condition: Any, *, timeout: float = 120, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def service_pid(home: Path) -> int:
    return int(json.loads((home / "service.json").read_text())["pid"])


@pytest.mark.long
def test_two_runs_an_import_and_the_dashboard_at_once_lose_nothing(tmp_path: Path, home: Path, env) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    # Given a hook already registered by a first run, and an ad report naming it
    first = json.loads(hookforge(env, "run", str(brief_file(tmp_path, "first")), "--pick", "1", "--json",
                                 "--home", str(home), "--out", str(out)).stdout)
    hook_a = first["hook_id"]
    report = tmp_path / "meta.csv"
    report.write_text(
        "Reporting starts,Reporting ends,Ad name,Day,Impressions,3-second video plays,ThruPlays,Amount spent (USD)\n"
        f"2026-11-20,2026-11-20,first | {hook_a},2026-11-20,4000,1300,300,30.00\n"
    )
    # When two runs, an import and the served dashboard go at once on the same home
    dashboard = start(env, "dashboard", "--serve", "--home", str(home))
    second = start(env, "run", str(brief_file(tmp_path, "second")), "--pick", "1", "--json", "--home", str(home),
                   "--out", str(out))
    third = start(env, "run", str(brief_file(tmp_path, "third")), "--pick", "1", "--json", "--home", str(home),
                  "--out", str(out))
    imported = hookforge(env, "metrics", "import", str(report), "--platform", "meta", "--home", str(home))
    results = [json.loads(p.communicate(timeout=300)[0]) for p in (second, third)]
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"], results
    url = dashboard.stdout.readline().strip() if dashboard.stdout else ""
    assert url.startswith("http://127.0.0.1:")
    dashboard.send_signal(signal.SIGINT)
    dashboard.communicate(timeout=HANG)
    assert imported.returncode == 0
    # Then, after every command and the service have exited and a new service loads the home from disk,
    hookforge(env, "stop", "--home", str(home))
    assert ServiceClient.running(home) is None
    ranking = json.loads(hookforge(env, "metrics", "report", "--json", "--home", str(home)).stdout)
    by_hook = {row["hook_id"]: row for row in ranking}
    # every hook is registered and the imported totals are intact
    assert set(by_hook) == {hook_a, results[0]["hook_id"], results[1]["hook_id"]}
    assert (by_hook[hook_a]["impressions"], by_hook[hook_a]["plays_3s"]) == (4000, 1300)
    # and the summaries named each hook, what goes in the ad name, its files and its cost
    for result, name in zip(results, ("second", "third"), strict=True):
        assert result["ad_name"] == f"{name} | {result['hook_id']}"
        assert all(Path(path).is_file() for path in result["outputs"].values())
        assert result["cost_usd"] == 0


@pytest.mark.long
def test_a_run_survives_ctrl_c_and_a_killed_service_while_it_waits(tmp_path: Path, home: Path, env) -> None:  # type: ignore[no-untyped-def]
    hold = tmp_path / "hold-the-clip"
    env = {**env, "HOOKFORGE_SIM_HOLD": str(hold)}
    brief = brief_file(tmp_path, "waiting", video={"providers": ["runway"], "duration": 2})
    # Given a run waiting for its pick, whose terminal pressed Ctrl-C
    run = start(env, "run", str(brief), "--home", str(home), "--out", str(tmp_path / "out"))
    waiting = wait_for(
        lambda: [r for r in runs(env, home).values() if r["state"] == "AWAITING_SELECTION"], what="the pick"
    )
    run_id = waiting[0]["run_id"]
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=HANG)
    assert run.returncode == 130 and "detached" in err and f"hookforge approve {run_id}" in err
    assert runs(env, home)[run_id]["state"] == "AWAITING_SELECTION"  # the service kept it
    # When the service is killed outright
    before = counts(home)
    assert before["invoked"].get("GenerateImageFunction") == 2 and before["creates"] == 0
    os.kill(service_pid(home), signal.SIGKILL)
    wait_for(lambda: ServiceClient.running(home) is None, what="the service to die")
    # Then `runs` (starting a new service) shows the run interrupted, with its hook id
    row = runs(env, home)[run_id]
    assert row["state"] == "INTERRUPTED" and row["hook_id"] == "hk-" + run_id.rsplit("-", 1)[-1]
    # And `approve --pick` answers it (resuming it first), and `resume` follows it to the end (Runway holds the
    # clip until `resume` has found the run going, so the run cannot finish before `resume` looks)
    hold.touch()
    approved = hookforge(env, "approve", run_id, "--pick", "1", "--home", str(home))
    assert "picked candidate 1" in approved.stderr
    following = start(env, "resume", run_id, "--json", "--home", str(home), "--out", str(tmp_path / "out"))
    assert following.stderr is not None
    seen = [following.stderr.readline()]
    while seen[-1] and "•" not in seen[-1]:  # the steps it reports: it follows the run
        seen.append(following.stderr.readline())
    assert runs(env, home)[run_id]["state"] not in ("SUCCEEDED", "INTERRUPTED")  # held at Runway, going
    hold.unlink()
    stdout, stderr = following.communicate(timeout=300)
    assert following.returncode == 0, (seen, stderr)
    done = json.loads(stdout)
    assert done["status"] == "SUCCEEDED" and done["hook_id"] == row["hook_id"]
    # And the stills were not generated again: the new service invoked no GenerateImage; Runway was asked once
    after = counts(home)
    assert after["pid"] != before["pid"]
    assert after["invoked"].get("GenerateImageFunction") is None
    assert after["creates"] == 1
    # And a finished run cannot be resumed or approved
    again = hookforge(env, "resume", run_id, "--home", str(home), check=False)
    assert again.returncode == 1 and "RunNotResumable" in again.stderr and "finished" in again.stderr
    late = hookforge(env, "approve", run_id, "--pick", "1", "--home", str(home), check=False)
    assert late.returncode == 1 and "RunNotWaiting" in late.stderr


@pytest.mark.long
def test_a_service_killed_mid_render_resumes_without_paying_again(tmp_path: Path, home: Path, env) -> None:  # type: ignore[no-untyped-def]
    brief = brief_file(
        tmp_path, "rendering", video={"providers": ["runway"], "duration": 2},
        effects={"preset": "punchy", "aspects": ["9:16", "1:1", "4:5", "16:9"]},
    )
    # Given a run whose Runway clip is in and whose render has started
    run = start(env, "run", str(brief), "--pick", "1", "--home", str(home), "--out", str(tmp_path / "out"))
    def clip_in() -> list[Path]:
        assert run.poll() is None, run.communicate()
        return list((home / "bucket" / "runs").glob("*/raw.mp4"))

    raw = wait_for(clip_in, what="the clip", timeout=180)
    run_id = raw[0].parent.name
    before = counts(home)
    assert before["creates"] == 1
    # When the service is killed during the render
    os.kill(service_pid(home), signal.SIGKILL)
    run.communicate(timeout=HANG)
    assert run.returncode != 0
    # Then `resume` finishes the run with the clip and stills made before the kill
    done = json.loads(hookforge(env, "resume", run_id, "--json", "--home", str(home), "--out",
                                str(tmp_path / "out")).stdout)
    assert done["status"] == "SUCCEEDED", done
    assert set(done["outputs"]) == {"9:16", "1:1", "4:5", "16:9"}
    after = counts(home)
    assert (after["creates"], after["polls"]) == (0, 0)  # Runway was neither asked again nor polled
    for step in ("GenerateImageFunction", "SubmitVideoFunction", "PollVideoFunction"):
        assert after["invoked"].get(step) is None, step
    assert after["invoked"].get("ApplyEffectsFunction", 0) <= 1


@pytest.mark.long
def test_resume_refuses_unknown_runs_and_exactly_one_of_two_resumes_wins(tmp_path: Path, home: Path, env) -> None:  # type: ignore[no-untyped-def]
    brief = brief_file(tmp_path, "twice")
    run = start(env, "run", str(brief), "--home", str(home), "--out", str(tmp_path / "out"))
    waiting = wait_for(
        lambda: [r for r in runs(env, home).values() if r["state"] == "AWAITING_SELECTION"], what="the pick"
    )
    run_id = waiting[0]["run_id"]
    run.send_signal(signal.SIGINT)
    run.communicate(timeout=HANG)
    os.kill(service_pid(home), signal.SIGKILL)
    wait_for(lambda: ServiceClient.running(home) is None, what="the service to die")
    unknown = hookforge(env, "resume", "run-19990101-000000-0000000000", "--home", str(home), check=False)
    assert unknown.returncode == 1 and "RunNotFound" in unknown.stderr
    # two resumes of one run at once: one wins, the other is told the run is already running
    hookforge(env, "runs", "--home", str(home))
    client = ServiceClient.running(home)
    assert client is not None
    outcomes: list[str] = []

    def resume() -> None:
        try:
            client.call("resume", {"run_id": run_id})
            outcomes.append("resumed")
        except RunNotResumable as e:
            outcomes.append(f"refused: {e}")

    threads = [threading.Thread(target=resume) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["refused", "resumed"], outcomes
    assert "already running" in next(o for o in outcomes if o.startswith("refused"))
    with pytest.raises(RunNotFound):
        client.call("resume", {"run_id": "run-19990101-000000-0000000000"})


@pytest.mark.long
def test_upload_then_run_uses_your_own_images(tmp_path: Path, home: Path, env) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    folder = tmp_path / "mine"
    folder.mkdir()
    for n, colour in enumerate(("#d94f2b", "#2b6fd9"), start=1):
        Image.new("RGB", (320, 568), colour).save(folder / f"export-{n}.png")
    # An upload that is not an image is refused and nothing is stored
    (folder / "notes.txt").write_text("not an image")
    refused = hookforge(env, "upload", str(folder), "--brief", "own-images", "--home", str(home), check=False)
    assert refused.returncode == 1 and "ImageInvalid" in refused.stderr and "notes.txt" in refused.stderr
    (folder / "notes.txt").unlink()
    stored = hookforge(env, "upload", str(folder), "--brief", "own-images", "--home", str(home))
    snippet = json.loads(stored.stdout)
    assert snippet["uploads"] == ["export-1.png", "export-2.png"]
    assert (home / "bucket" / "uploads" / "own-images" / "export-1.png").is_file()
    brief = tmp_path / "own.json"
    brief.write_text(json.dumps(tiny_brief(name="own-images", images={"provider": "upload", "count": 2},
                                           uploads=snippet["uploads"])))
    done = json.loads(hookforge(env, "run", str(brief), "--pick", "2", "--json", "--home", str(home), "--out",
                                str(tmp_path / "out")).stdout)
    assert done["status"] == "SUCCEEDED"
    # the candidates are your images, in order (the red one first, the blue one second)
    for n, colour in ((1, (0xD9, 0x4F, 0x2B)), (2, (0x2B, 0x6F, 0xD9))):
        with Image.open(Path(done["folder"]) / "candidates" / f"r0-{n}.png") as candidate:
            pixel = candidate.convert("RGB").getpixel((candidate.width // 2, candidate.height // 2))
        assert all(abs(a - b) <= 6 for a, b in zip(pixel, colour, strict=True)), (n, pixel)
