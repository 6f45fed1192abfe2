"""The MetricsSync Lambda (EventBridge Scheduler, daily) on moto, against the stand-ins over local HTTP."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.metrics_sync import app as metrics_sync
from hookforge.deps import Deps
from hookforge.errors import AdTokenExpired
from tests.support.ad_platforms import (
    META_TOKEN,
    TIKTOK_TOKEN,
    MetaStandIn,
    SimAd,
    TikTokStandIn,
    platform_env,
    serve,
)
from tests.unit.metrics.support import HOOKS, seed_hooks


def test_the_scheduled_sync_sets_both_platforms_and_a_failed_platform_fails_the_invocation(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    today = datetime.now(UTC).date()
    ads = [SimAd("11", f"a | {HOOKS[0]}"), SimAd("12", "Brand video")]
    meta = MetaStandIn(ads, today - timedelta(days=30), today)
    tiktok = TikTokStandIn(ads, today - timedelta(days=30), today)
    with serve(meta.handle) as graph_url, serve(tiktok.handle) as tiktok_url:
        for name, value in {
            **platform_env(graph_url, tiktok_url),
            "METRICS_SYNC_DAYS": "3",
        }.items():
            monkeypatch.setenv(name, value)
        Deps.reset()
        seed_hooks(Deps.current().metrics)
        # When the schedule fires with its default (empty) input
        result = metrics_sync.lambda_handler({}, lambda_context)
        # Then both platforms were synced over the configured 3 days
        by_platform = {r["platform"]: r for r in result["synced"]}
        assert by_platform["meta"]["imported"] == 6 and by_platform["tiktok"]["imported"] == 3
        assert by_platform["meta"]["not_hook_ads"] == 1
        assert "3 rows from 1 ad that is not a hookforge hook" in by_platform["tiktok"]["summary"]
        # And an expired token fails the invocation with the named error, after the other platform was synced
        meta.expire = True
        with pytest.raises(AdTokenExpired, match="ad-platforms/meta"):
            metrics_sync.lambda_handler({"days": 5}, lambda_context)
    assert len([r for r in tiktok.requests if r.url.params.get("start_date") == str(today - timedelta(days=4))]) == 1
    out = "\n".join(str(r.__dict__) for r in caplog.records)
    assert META_TOKEN not in out and TIKTOK_TOKEN not in out and "AdTokenExpired" in out
    assert META_TOKEN not in json.dumps(result) and TIKTOK_TOKEN not in json.dumps(result)
