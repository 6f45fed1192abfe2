"""Hook-rate metrics on the local engine: a real run registers a hook, the CLI imports an ad report
into the persisted tables, and `metrics report --json` / `dashboard --out` read it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hookforge.cli import app
from hookforge.local import LocalEngine, pick
from tests.conftest import ROOT, tiny_brief


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_registered_hook_gets_hook_rate_from_an_imported_meta_report(tmp_path: Path) -> None:
    home = tmp_path / "home"
    brief = tmp_path / "brief.json"
    brief.write_text(json.dumps(tiny_brief()))
    # Given a hook made by a real local run
    with LocalEngine(home, root=ROOT, time_scale=0.01) as engine:
        result = engine.run(brief, chooser=pick(1))
        assert result.succeeded, (result.error, result.message)
        hook_id = engine.deps.runs.get(result.run_id)["hook_id"]
    # Then before any ad data it is listed with zeros and "needs data"
    before = json.loads(_cli("metrics", "report", "--json", "--home", str(home)))
    assert [(r["hook_id"], r["impressions"], r["plays_3s"], r["verdict"]) for r in before] == [
        (hook_id, 0, 0, "needs data")
    ]
    # When a Meta export naming the hook in its ad names is imported (twice)
    report = tmp_path / "meta.csv"
    report.write_text(
        "Reporting starts,Reporting ends,Ad name,Day,Impressions,3-second video plays,ThruPlays,Amount spent (USD)\n"
        f'2026-11-20,2026-11-20,launch | {hook_id},2026-11-20,"3,000",1050,300,30.00\n'
        f'2026-11-21,2026-11-21,launch | {hook_id},2026-11-21,"3,000",1020,310,30.00\n'
        "2026-11-21,2026-11-21,launch | hk-0000000000,2026-11-21,10,1,0,0.10\n"
    )
    for _ in range(2):
        _cli("metrics", "import", str(report), "--platform", "meta", "--home", str(home))
    # Then the report shows exact totals, the Wilson interval and the verdict; the bad row is on file
    after = json.loads(_cli("metrics", "report", "--json", "--home", str(home)))
    row = after[0]
    assert row["brief"] == "tiny-test"  # the brief's name beside the id, as the ad name has it
    assert (row["hook_id"], row["platform"], row["impressions"], row["plays_3s"]) == (hook_id, "meta", 6000, 2070)
    assert row["hook_rate"] == round(2070 / 6000, 6)
    assert row["hook_rate_low"] < row["hook_rate"] < row["hook_rate_high"] and row["verdict"] == "winner"
    import_report = json.loads((tmp_path / "meta.csv.import.json").read_text())
    assert (import_report["imported"], import_report["unchanged"]) == (0, 2)
    assert import_report["bad"] == [{"line": 4, "reason": import_report["bad"][0]["reason"]}]
    assert "unknown hook hk-0000000000" in import_report["bad"][0]["reason"]
    # And the dashboard file shows the hook with its poster embedded
    out = tmp_path / "dash.html"
    _cli("dashboard", "--out", str(out), "--home", str(home))
    page = out.read_text()
    assert "<span class='brief'>tiny-test</span>" in page
    assert hook_id in page and 'id="target-line"' in page and "data:image/jpeg;base64," in page


def test_report_dropped_under_reports_is_imported_by_its_rule_target(engine) -> None:  # type: ignore[no-untyped-def]
    # Given a registered hook on the local engine
    engine.deps.metrics.put_hook({"hook_id": "hk-5e5e5e5e5e", "prompt": "dropped report hook"})
    csv_text = (
        "Ad name,Date,Impressions,2-second video views,6-second video views,Cost\n"
        "drop | hk-5e5e5e5e5e,2026-11-20,1000,330,120,4.00\n"
        "drop | hk-5e5e5e5e5e,2026-11-21,-1,0,0,0\n"
    )
    # When a TikTok export lands under reports/ (S3 -> EventBridge -> ReportImportFunction)
    out = engine.upload("reports/tiktok/2026-11-21.csv", csv_text.encode())
    # Then it is imported, and the import report sits beside it with the bad line
    assert out["report_key"] == "reports/tiktok/2026-11-21.csv.import.json"
    saved = engine.deps.store.get_json(out["report_key"])
    assert (saved["platform"], saved["imported"], [b["line"] for b in saved["bad"]]) == ("tiktok", 1, [3])
    assert engine.deps.metrics.ranking("tiktok")[0]["plays"] == 330


def test_metrics_sync_pulls_both_platforms_from_local_stand_ins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.support.ad_platforms import (
        META_TOKEN,
        TIKTOK_TOKEN,
        MetaStandIn,
        SimAd,
        TikTokStandIn,
        platform_env,
        serve,
    )

    home = tmp_path / "home"
    hook_id = "hk-5ca1ab1e00"
    with LocalEngine(home, root=ROOT, time_scale=0.01) as engine:
        engine.deps.metrics.put_hook({"hook_id": hook_id, "run_id": "run-x", "prompt": "p", "created_at": 1})
    today = datetime.now(UTC).date()
    ads = [SimAd("1201", f"launch | {hook_id}"), SimAd("1202", "Brand video (not a hook)")]
    meta = MetaStandIn(ads, today - timedelta(days=20), today, page_size_cap=5)
    tiktok = TikTokStandIn(ads, today - timedelta(days=20), today)
    with serve(meta.handle) as graph_url, serve(tiktok.handle) as tiktok_url:
        for name, value in {
            **platform_env(graph_url, tiktok_url),
        }.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["metrics", "sync", "--days", "3", "--home", str(home)])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 0, output
    assert "meta" in output and "12 rows" in output and "6 imported" in output
    assert "6 rows from 1 ad that is not a hookforge hook" in output
    assert "tiktok" in output and "3 imported" in output
    assert META_TOKEN not in output and TIKTOK_TOKEN not in output
    rows = json.loads(_cli("metrics", "report", "--json", "--home", str(home)))
    by_platform = {r["platform"]: r for r in rows if r["hook_id"] == hook_id}
    assert set(by_platform) == {"meta", "tiktok"}
    assert by_platform["meta"]["impressions"] == sum(
        int(r["impressions"]) for r in meta.records(str(today - timedelta(days=2)), str(today)) if r["ad_id"] == "1201"
    )
    # an expired token: a named error with how to renew, exit 1, nothing else changes
    meta.expire = True
    with serve(meta.handle) as graph_url:
        monkeypatch.setenv("META_GRAPH_URL", graph_url)
        failed = CliRunner().invoke(app, ["metrics", "sync", "--platform", "meta", "--home", str(home)])
    assert failed.exit_code == 1 and "AdTokenExpired" in failed.output and META_TOKEN not in failed.output
