"""A 90-day `metrics sync` of 500 ads from the local Meta and TikTok stand-ins into the metrics table (moto,
in-process): API requests per ad-day and DynamoDB requests per stored row (goal <= 0.1), then the daily re-sync
of the last 7 days: as it is when the platforms restate nothing (goal <= 0.1), when they restate the last 2 days
of one ad in 10, and when they restate the last 2 days of every ad (each hook's total then changes: two lease
requests per hook whatever its row count).

`HOOKFORGE_BENCH_SYNC_ADS` and `HOOKFORGE_BENCH_SYNC_DAYS` change the size (default 500 ads, 90 days),
`HOOKFORGE_BENCH_SYNC_PLATFORMS` the platforms (default "meta,tiktok").
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

ADS = int(os.environ.get("HOOKFORGE_BENCH_SYNC_ADS", "500"))
DAYS = int(os.environ.get("HOOKFORGE_BENCH_SYNC_DAYS", "90"))
PLATFORMS = os.environ.get("HOOKFORGE_BENCH_SYNC_PLATFORMS", "meta,tiktok").split(",")
HOOK_EVERY = 5  # every 5th ad is an ordinary ad of the account (no hook id)
TABLE = "bench-sync"


def main() -> None:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    import boto3
    import httpx
    from moto import mock_aws

    from hookforge.local import template as tpl
    from hookforge.local.engine import project_root
    from hookforge.metrics.store import MetricsStore, bulk_writer
    from hookforge.metrics.sync import MetaInsights, TikTokReport, sync_source
    from tests.support.ad_platforms import (
        META_ACCOUNT,
        META_TOKEN,
        TIKTOK_ADVERTISER,
        TIKTOK_TOKEN,
        MetaStandIn,
        SimAd,
        TikTokStandIn,
    )

    until = date(2026, 12, 1)
    since = until - timedelta(days=DAYS - 1)
    hooks = [f"hk-{i:010d}" for i in range(ADS // 2)]
    ads = [
        SimAd(str(120_000_000 + i), f"ad {i}" if i % HOOK_EVERY == 0 else f"ad {i} | {hooks[i % len(hooks)]}")
        for i in range(ADS)
    ]
    meta = MetaStandIn(ads, since, until, page_size_cap=500, async_polls=3)
    tiktok = TikTokStandIn(ads, since, until, page_size_cap=1000)
    slept: list[float] = []
    with mock_aws():
        kwargs = tpl.tables(tpl.load_template(project_root() / "template.yaml"))["MetricsTable"]
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        resource.meta.client.create_table(TableName=TABLE, **kwargs)
        store = MetricsStore(resource, TABLE, writer=bulk_writer(boto3.session.Session(), "us-east-1"))  # as Deps
        for h in hooks:
            store.put_hook({"hook_id": h, "prompt": f"bench {h}", "created_at": 1_700_000_000})
        week = until - timedelta(days=6)
        recent = [(until - timedelta(days=d)).isoformat() for d in (0, 1)]
        runs = (
            (since, f"{DAYS}-day sync", 0),
            (week, "daily 7-day re-sync, nothing restated", 0),
            (week, "daily 7-day re-sync, last 2 days of 1 ad in 10 restated", 10),
            (week, "daily 7-day re-sync, last 2 days of every ad restated", 1),
        )
        for bump, (window_since, label, every) in enumerate(runs):
            if every:  # the platforms report new figures for recent days (cumulative numbers grow)
                for standin in (meta, tiktok):
                    standin.restated.update({(ad.ad_id, d): bump for ad in ads[1::every] for d in recent})
            for name, source in (
                (
                    "meta",
                    MetaInsights(
                        transport=meta.transport,
                        token=META_TOKEN,
                        account_id=META_ACCOUNT,
                        base_url="https://graph.bench.invalid",
                        sleeper=slept.append,
                        page_size=500,
                    ),
                ),
                (
                    "tiktok",
                    TikTokReport(
                        httpx.Client(transport=tiktok.transport),
                        token=TIKTOK_TOKEN,
                        advertiser_id=TIKTOK_ADVERTISER,
                        base_url="https://tiktok.bench.invalid",
                        sleeper=slept.append,
                    ),
                ),
            ):
                if name not in PLATFORMS:
                    continue
                started = time.perf_counter()
                report = sync_source(store, source, since=window_since, until=until)
                elapsed = time.perf_counter() - started
                ad_days = ADS * ((until - window_since).days + 1)
                stored = report.imported + report.unchanged
                print(  # noqa: T201 - benchmark output is the product here
                    f"   {name} {label}: {report.rows:,} rows of {ADS} ads in {elapsed:.1f} s; "
                    f"{report.api_requests} API requests = {report.api_requests / ad_days:.4f} per ad-day; "
                    f"{report.store_requests:,} DynamoDB requests for {stored:,} hook rows ({report.imported:,} "
                    f"written) = {report.store_requests / max(1, stored):.4f} per row"
                    f"{'' if every else ' (goal <= 0.1)'}; "
                    f"{report.not_hook_rows:,} rows of {report.not_hook_ads} ads without a hook id"
                )


if __name__ == "__main__":
    main()
