"""`metrics sync`: pull every ad's daily numbers from Meta and TikTok and set them in the metrics table.

One platform at a time: its reader fetches the whole rolling window first (any error raises before a single
write, so a failed sync changes no totals), then each ad-day-placement whose ad name carries one hook id
becomes a `DayRow` keyed by (hook, platform, day, ad id + placement) and goes through the very write path of
imports (`MetricsStore.apply`: set, never added; restated days replace what was stored). Ads that carry no
hook id are ordinary ads of the account: counted and summarized, not reported as bad rows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from hookforge.config import Settings
from hookforge.errors import ConfigError, HookforgeError
from hookforge.metrics.model import HOOK_ID_RE, DayRow
from hookforge.metrics.sync import meta, tiktok
from hookforge.metrics.sync.common import CURRENCIES, AdDay, Fetched, Redactor, Skip, Sleeper, rolling_window
from hookforge.metrics.sync.meta import MetaInsights
from hookforge.metrics.sync.tiktok import TikTokReport
from hookforge.observability import logger

if TYPE_CHECKING:
    import httpx
    from requests.adapters import BaseAdapter


class AdSource(Protocol):
    platform: str
    requests: int
    redact: Redactor

    def fetch(self, since: date, until: date) -> Fetched: ...


@dataclass
class SyncReport:
    """What one platform's sync did; returned by the Lambda and printed by `hookforge metrics sync`."""

    platform: str
    since: str
    until: str
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    not_hook_rows: int = 0
    not_hook_ads: int = 0
    skipped: list[Skip] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)
    api_requests: int = 0
    store_requests: int = 0
    started_at: float = 0.0
    finished_at: float = 0.0

    def summary(self) -> str:
        text = (
            f"{self.platform} {self.since}..{self.until}: {self.rows} rows — {self.imported} imported, "
            f"{self.unchanged} unchanged ({len(self.hooks)} hooks)"
        )
        if self.not_hook_rows:
            ads = (
                "1 ad that is not a hookforge hook"
                if self.not_hook_ads == 1
                else (f"{self.not_hook_ads} ads that are not hookforge hooks")
            )
            text += f"; {self.not_hook_rows} rows from {ads} (no hk-… id in the ad name)"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped"
        return text

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["summary"] = self.summary()
        return out


def to_rows(fetched: Fetched, report: SyncReport, launched: Mapping[str, str] | None = None) -> list[DayRow]:
    """Classify what was fetched: hook rows to write; other ads counted; rows that cannot be used skipped.

    An ad's hook is the hook id in its name, else the hook it was launched for (`launched`: ad id -> hook id)."""
    rows: list[DayRow] = []
    not_hook_ads: set[str] = set()
    report.skipped.extend(fetched.skipped)
    for i, ad in enumerate(fetched.rows, start=1):
        ids = {m.lower() for m in HOOK_ID_RE.findall(ad.ad_name)}
        if not ids and launched and ad.ad_id in launched:
            ids = {launched[ad.ad_id]}
        if not ids:
            report.not_hook_rows += 1
            not_hook_ads.add(ad.ad_id)
            continue
        if len(ids) > 1:
            report.skipped.append(
                Skip(ad.ad_name, ad.day, f"the ad name names several hook ids ({', '.join(sorted(ids))})")
            )
            continue
        if ad.currency not in CURRENCIES:
            reason = f"unknown currency {ad.currency!r}: the spend cannot be added to the others"
            report.skipped.append(Skip(ad.ad_name, ad.day, reason))
            continue
        rows.append(_day_row(ids.pop(), ad, line=i))
    report.not_hook_ads = len(not_hook_ads)
    return rows


def _day_row(hook_id: str, ad: AdDay, *, line: int) -> DayRow:
    return DayRow(
        hook_id=hook_id,
        platform=ad.platform,
        day=ad.day,
        ad_name=ad.ad_name,
        impressions=ad.impressions,
        plays=ad.plays,
        holds=ad.holds,
        clicks=ad.clicks,
        spend=ad.spend,
        line=line,
        ad_id=ad.ad_id,
        placement=ad.placement,
        currency=ad.currency,
    )


def launched_ads(store: Any, platform: str) -> dict[str, str]:
    """ad id -> hook id of the ads `hookforge launch` created (recorded on the hook items; one Query)."""
    out: dict[str, str] = {}
    for hook in store.hooks():
        launch = (hook.get("launches") or {}).get(platform) or {}
        if launch.get("ad_id"):
            out[str(launch["ad_id"])] = hook["hook_id"]
    return out


def sync_source(store: Any, source: AdSource, *, since: date, until: date) -> SyncReport:
    """Fetch [since, until] from one platform, then set its hook rows (see the module docstring)."""
    report = SyncReport(source.platform, since.isoformat(), until.isoformat(), started_at=time.time())
    fetched = source.fetch(since, until)  # raises before any write
    report.rows = len(fetched.rows)
    rows = to_rows(fetched, report, launched_ads(store, source.platform))
    by_line = {r.line: r for r in rows}
    before = store.requests
    result = store.apply(rows)
    report.store_requests = store.requests - before
    report.imported, report.unchanged = result.written, result.unchanged
    report.hooks = sorted(result.hooks)
    for bad in result.bad.rows():  # unknown hook ids: a typo in an ad name, or a hook from another deployment
        row = by_line.get(bad.line)
        report.skipped.append(Skip(row.ad_name if row else "?", row.day if row else "", bad.reason))
    report.api_requests = source.requests
    report.skipped = [Skip(source.redact(s.ad), s.day, source.redact(s.reason)) for s in report.skipped]
    report.finished_at = time.time()
    logger.info(
        "metrics synced",
        extra={
            "platform": report.platform,
            "rows": report.rows,
            "imported": report.imported,
            "not_hook_rows": report.not_hook_rows,
            "skipped": len(report.skipped),
            "api_requests": report.api_requests,
        },
    )
    return report


def configured_sources(
    settings: Any,
    secret: Callable[[str, str], str],
    client: httpx.Client,
    *,
    platforms: tuple[str, ...] = ("meta", "tiktok"),
    sleeper: Sleeper = time.sleep,
    meta_transport: BaseAdapter | None = None,
) -> list[AdSource]:
    """The readers of the platforms that have an account configured (tokens read only for those). `client`:
    TikTok's httpx client; Meta's requests go through the `facebook-business` SDK (`meta_transport`: a `requests`
    adapter for it, in tests)."""
    sources: list[AdSource] = []
    if "meta" in platforms and settings.meta_ad_account_id:
        sources.append(
            MetaInsights(
                token=secret(meta.TOKEN_VAR, meta.SECRET_NAME),
                account_id=settings.meta_ad_account_id,
                base_url=settings.meta_graph_url,
                sleeper=sleeper,
                transport=meta_transport,
            )
        )
    if "tiktok" in platforms and settings.tiktok_advertiser_id:
        sources.append(
            TikTokReport(
                client,
                token=secret(tiktok.TOKEN_VAR, tiktok.SECRET_NAME),
                advertiser_id=settings.tiktok_advertiser_id,
                base_url=settings.tiktok_api_url,
                sleeper=sleeper,
            )
        )
    return sources


def sync_all(store: Any, sources: list[AdSource], *, days: int, today: date) -> list[SyncReport | Exception]:
    """Sync each platform in turn; one platform's failure (reported, written nothing) does not stop the next."""
    since, until = rolling_window(days, today)
    out: list[SyncReport | Exception] = []
    for source in sources:
        try:
            out.append(sync_source(store, source, since=since, until=until))
        except Exception as e:  # noqa: BLE001 - every platform gets its answer; the caller raises the first error
            logger.warning("metrics sync failed", extra={"platform": source.platform, "error": type(e).__name__})
            out.append(e)
    return out


def with_shell_accounts(deps: Any, environ: Mapping[str, str] | None = None) -> Any:
    """`deps` reading the ad accounts, API hosts and tokens of the caller's environment (the local service's own
    settings hold none: a local client's Deps is built from the service's environment, not the shell's)."""
    shell = Settings.from_env(os.environ if environ is None else environ)
    tokens = {k: v for k in (meta.TOKEN_VAR, tiktok.TOKEN_VAR) if (v := shell.api_keys.get(k))}
    keep = ("meta_ad_account_id", "tiktok_advertiser_id", "meta_graph_url", "tiktok_api_url", "metrics_sync_days")
    changes = {k: getattr(shell, k) for k in keep if k in shell.model_fields_set}
    return deps.with_settings(**changes, api_keys={**deps.settings.api_keys, **tokens})


def run_sync(
    deps: Any,
    *,
    platforms: tuple[str, ...] = ("meta", "tiktok"),
    days: int | None = None,
    today: date | None = None,
    client: httpx.Client | None = None,
    meta_transport: BaseAdapter | None = None,
    sleeper: Sleeper = time.sleep,
) -> list[SyncReport | Exception]:
    """The sync of the Lambda and the CLI: the configured platforms, the settings' window, the stage's secrets."""
    settings = deps.settings
    if not any(
        (p == "meta" and settings.meta_ad_account_id) or (p == "tiktok" and settings.tiktok_advertiser_id)
        for p in platforms
    ):
        raise ConfigError(
            "no ad account to sync: set META_AD_ACCOUNT_ID (with META_ACCESS_TOKEN) and/or TIKTOK_ADVERTISER_ID "
            "(with TIKTOK_ACCESS_TOKEN); in AWS the tokens are the secrets hookforge/ad-platforms/meta and "
            "hookforge/ad-platforms/tiktok"
        )
    own = client is None
    if client is None:
        import httpx  # TikTok's client, made when a sync runs: importing this package (a launch does) needs none

        client = httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0))
    window = days or settings.metrics_sync_days
    results: list[SyncReport | Exception] = []
    try:
        for platform in platforms:
            try:  # a missing token of one platform is its answer, not the end of the other's sync
                sources = configured_sources(
                    settings,
                    deps.secrets.get,
                    client,
                    platforms=(platform,),
                    sleeper=sleeper,
                    meta_transport=meta_transport,
                )
            except HookforgeError as e:
                results.append(e)
                continue
            try:
                results.extend(sync_all(deps.metrics, sources, days=window, today=today or datetime.now(UTC).date()))
            finally:
                for source in sources:
                    if isinstance(source, MetaInsights):  # the SDK session's connections (TikTok's client is ours)
                        source.close()
        return results
    finally:
        if own:
            client.close()


__all__ = [
    "AdDay",
    "AdSource",
    "MetaInsights",
    "SyncReport",
    "TikTokReport",
    "configured_sources",
    "rolling_window",
    "run_sync",
    "with_shell_accounts",
    "sync_all",
    "sync_source",
    "to_rows",
]
