"""The HTML dashboard: hooks ranked by hook rate with 95 % interval whiskers and the target line,
poster thumbnails, daily trend sparklines, verdicts, and a platform/date filter.

One self-contained page (inline SVG and CSS, no scripts, no external assets), served by
`GET /dashboard` in AWS and written by `hookforge dashboard --out FILE` / `--serve` locally.
Everything that comes from data is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hookforge.approval.page import SECURITY_HEADERS
from hookforge.metrics.compare import Group, comparisons
from hookforge.metrics.dashboard_compare import COMPARE_CSS, FILTER_SCRIPT, SCRIPT_HASH, comparison_section
from hookforge.metrics.model import DEFINITIONS, PLATFORMS
from hookforge.metrics.report import NO_DATA, HookStat, build_report

_VERDICT_CLASS = {"winner": "winner", "below target": "below", "needs data": "needs"}


@dataclass(frozen=True)
class Filters:
    platform: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    @classmethod
    def parse(cls, *, platform: str | None, date_from: str | None, date_to: str | None) -> Filters:
        """Validate query-string values (empty means no filter); ValueError says which one is wrong."""
        platform = platform or None
        if platform is not None and platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
        days: list[str | None] = []
        for name, value in (("from", date_from), ("to", date_to)):
            if value:
                try:
                    days.append(date.fromisoformat(value).isoformat())
                except ValueError:
                    raise ValueError(f"{name} must be a date like 2026-11-01, got {value!r}") from None
            else:
                days.append(None)
        if days[0] and days[1] and days[0] > days[1]:
            raise ValueError(f"from ({days[0]}) is after to ({days[1]})")
        return cls(platform, days[0], days[1])


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def ranking_svg(stats: list[HookStat], target: float) -> str:
    """Horizontal bars (hook rate) with whiskers (95 % Wilson interval) and a dashed target line."""
    row_h, label_w, chart_w, pad = 30, 230, 560, 28
    top = max([target * 1.25, 0.5] + [s.hook_rate_high for s in stats if s.impressions])
    scale = min(1.0, round(top + 0.05, 1))
    height = pad * 2 + row_h * max(1, len(stats))

    def x(v: float) -> float:
        return label_w + chart_w * min(v, scale) / scale

    parts = [
        f'<svg id="ranking" role="img" aria-label="Hooks ranked by hook rate" viewBox="0 0 {label_w + chart_w + 90} '
        f'{height}" width="100%" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in range(0, int(round(scale * 100)) + 1, 10):
        tx = x(tick / 100)
        parts.append(f'<line x1="{tx:.1f}" y1="{pad - 6}" x2="{tx:.1f}" y2="{height - pad}" class="grid"/>')
        parts.append(f'<text x="{tx:.1f}" y="{height - pad + 16}" class="tick">{tick}%</text>')
    for i, s in enumerate(stats):
        y = pad + i * row_h
        mid = y + row_h / 2
        label = f"{i + 1}. {s.hook_id}" + ("" if s.platform == NO_DATA else f" · {s.platform}")
        parts.append(
            f'<g class="rank-row {_VERDICT_CLASS.get(s.verdict, "needs")}" data-hook-id="{_e(s.hook_id)}" '
            f'data-platform="{_e(s.platform)}"><title>{_e(s.hook_id)} {_e(s.platform)}: hook rate '
            f"{_pct(s.hook_rate)} (95% CI {_pct(s.hook_rate_low)}–{_pct(s.hook_rate_high)}), "
            f"{s.impressions:,} impressions — {_e(s.verdict)}</title>"
            f'<text x="{label_w - 8}" y="{mid + 4}" class="label">{_e(label)}</text>'
        )
        if s.impressions:
            parts.append(
                f'<rect x="{label_w}" y="{y + 7}" width="{x(s.hook_rate) - label_w:.1f}" height="{row_h - 14}" '
                f'class="bar"/>'
                f'<line x1="{x(s.hook_rate_low):.1f}" y1="{mid}" x2="{x(s.hook_rate_high):.1f}" y2="{mid}" '
                f'class="whisker"/>'
                f'<line x1="{x(s.hook_rate_low):.1f}" y1="{mid - 6}" x2="{x(s.hook_rate_low):.1f}" y2="{mid + 6}" '
                f'class="whisker"/>'
                f'<line x1="{x(s.hook_rate_high):.1f}" y1="{mid - 6}" x2="{x(s.hook_rate_high):.1f}" '
                f'y2="{mid + 6}" class="whisker"/>'
                f'<text x="{x(s.hook_rate_high) + 6:.1f}" y="{mid + 4}" class="value">{_pct(s.hook_rate)}</text>'
            )
        else:
            parts.append(f'<text x="{label_w + 6}" y="{mid + 4}" class="value nodata">no data yet</text>')
        parts.append("</g>")
    tx = x(target)
    parts.append(
        # a thin rect rather than a line: a zero-width line has no box for hit-testing or tests
        f'<rect id="target-line" class="target" x="{tx - 1:.1f}" y="{pad - 14}" width="2" '
        f'height="{height - 2 * pad + 14}"/>'
        f'<text x="{tx + 4:.1f}" y="{pad - 16}" class="target-label">target {_pct(target)}</text></svg>'
    )
    return "".join(parts)


def sparkline(daily: list[dict[str, int]], target: float, *, width: int = 140, height: int = 36) -> str:
    """Daily hook rate (plays ÷ impressions of each day) as a small line, with the target dashed."""
    points = [(d["date"], d["plays"] / d["impressions"]) for d in daily if d.get("impressions")]
    if not points:
        return '<span class="muted">no days</span>'
    top = max([target * 1.5] + [r for _, r in points])
    step = (width - 8) / max(1, len(points) - 1)

    def y(r: float) -> float:
        return height - 4 - (height - 8) * r / top

    coords = " ".join(f"{4 + i * step:.1f},{y(r):.1f}" for i, (_, r) in enumerate(points))
    last_x, last_y = 4 + (len(points) - 1) * step, y(points[-1][1])
    title = ", ".join(f"{d}: {_pct(r)}" for d, r in points)
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="daily hook rate"><title>{_e(title)}</title>'
        f'<line x1="0" x2="{width}" y1="{y(target):.1f}" y2="{y(target):.1f}" class="spark-target"/>'
        f'<polyline points="{coords}" class="spark-line"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" class="spark-dot"/></svg>'
    )


def _form(filters: Filters, placements: list[str] | None = None) -> str:
    options = "".join(
        f'<option value="{p}"{" selected" if filters.platform == p else ""}>{p}</option>' for p in PLATFORMS
    )
    places = "".join(f'<option value="{_e(p)}">{_e(p)}</option>' for p in placements or [])
    return (
        '<form class="filters" method="get">'
        f'<label>Platform <select name="platform"><option value="">all</option>{options}</select></label>'
        f'<label>Placement <select name="placement"><option value="">all</option>{places}</select></label>'
        f'<label>From <input type="date" name="from" value="{_e(filters.date_from or "")}"></label>'
        f'<label>To <input type="date" name="to" value="{_e(filters.date_to or "")}"></label>'
        "<button>Apply</button></form>"
    )


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7fb}
header{background:#111827;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c7cbd6}main{padding:20px 28px;max-width:1200px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;padding:16px 18px;margin-bottom:18px}
.filters{display:flex;gap:14px;align-items:end;flex-wrap:wrap}.filters label{display:flex;flex-direction:column;
font-size:12px;color:#555}.filters select,.filters input{font:inherit;padding:4px 6px}
.filters button{padding:6px 14px;border:0;border-radius:6px;background:#2563eb;color:#fff;font:inherit}
svg .grid{stroke:#e5e7eb}svg .tick{font-size:11px;fill:#6b7280;text-anchor:middle}
svg .label{font-size:12px;text-anchor:end;fill:#111827;font-family:ui-monospace,monospace}
svg .bar{fill:#93c5fd}.winner .bar{fill:#34d399}.below .bar{fill:#fca5a5}
svg .whisker{stroke:#1f2937;stroke-width:1.6}svg .value{font-size:11px;fill:#374151}svg .nodata{fill:#9ca3af}
svg .target{fill:#dc2626}svg .target-label{font-size:12px;fill:#dc2626;
font-weight:600}table{border-collapse:collapse;width:100%}th,td{padding:8px;border-bottom:1px solid #eceef3;
text-align:left;vertical-align:middle}th{font-size:12px;color:#6b7280;font-weight:600}td.num{text-align:right;
font-variant-numeric:tabular-nums}.poster{width:54px;height:96px;object-fit:cover;border-radius:6px;background:#ddd;
display:block}.noposter{width:54px;height:96px;border-radius:6px;background:#e5e7eb;color:#9ca3af;font-size:10px;
display:flex;align-items:center;justify-content:center}.prompt{max-width:300px;color:#4b5563;font-size:12px}
.brief{color:#374151;font-size:12px}.fallbacks{margin:2px 0 0 16px;padding:0;color:#92400e;font-size:11px}
.badge{padding:2px 8px;border-radius:999px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.winner{background:#d1fae5;color:#065f46}.badge.below{background:#fee2e2;color:#991b1b}
.badge.needs{background:#fef3c7;color:#92400e}.ci{color:#6b7280;font-size:12px}.muted{color:#9ca3af}
.spark-line{fill:none;stroke:#2563eb;stroke-width:1.6}.spark-target{stroke:#dc2626;stroke-dasharray:3 3}
.spark-dot{fill:#2563eb}footer{color:#6b7280;font-size:12px;padding:0 28px 28px}
"""


def render_dashboard(
    stats: list[HookStat],
    *,
    target: float,
    filters: Filters | None = None,
    poster_url: Callable[[str], str | None] | None = None,
    title: str = "hookforge — hook rate",
    groups: list[Group] | None = None,
) -> str:
    """The whole page for `stats` (already ranked, e.g. by `build_report(..., daily=True)`) and the comparison
    `groups` (`metrics.compare.comparisons`)."""
    filters = filters or Filters()
    groups = groups or []
    rows = []
    for i, s in enumerate(stats, start=1):
        url = poster_url(s.poster_key) if (poster_url and s.poster_key) else None
        poster = (
            f'<img class="poster" src="{_e(url)}" alt="poster of {_e(s.hook_id)}" loading="lazy">'
            if url
            else '<div class="noposter">no poster</div>'
        )
        cls = _VERDICT_CLASS.get(s.verdict, "needs")
        rows.append(
            f'<tr class="hook" data-hook-id="{_e(s.hook_id)}" data-platform="{_e(s.platform)}">'
            f'<td class="num">{i}</td><td>{poster}</td>'
            f"<td><b>{_e(s.hook_id)}</b> <span class='brief'>{_e(s.brief or '')}</span>"
            f"<div class='prompt'>{_e((s.prompt or '')[:160])}</div>"
            f"<div class='muted'>{_e(s.preset or '')}{_made_for(s)}</div>{_fallbacks(s)}</td>"
            f"<td>{_e(s.platform)}</td><td class='num'>{s.impressions:,}</td><td class='num'>{s.plays_3s:,}</td>"
            f"<td class='num'><b>{_pct(s.hook_rate)}</b><div class='ci'>{_pct(s.hook_rate_low)}–"
            f"{_pct(s.hook_rate_high)}</div></td>"
            f"<td class='num'>{_pct(s.hold_rate)}<div class='ci'>{_pct(s.hold_rate_low)}–{_pct(s.hold_rate_high)}"
            f"</div></td><td>{sparkline(s.daily, target)}</td>"
            f'<td><span class="badge {cls}">{_e(s.verdict)}</span></td></tr>'
        )
    shown = sorted({s.platform for s in stats} - {NO_DATA})
    definitions = (
        "".join(f"<li>{_e(DEFINITIONS[p].hook_rate)}; {_e(DEFINITIONS[p].hold_rate)}</li>" for p in shown)
        or "<li>No ad-platform data yet: import a Meta or TikTok export.</li>"
    )
    scope = ", ".join(
        x
        for x in (
            f"platform {filters.platform}" if filters.platform else "all platforms",
            f"from {filters.date_from}" if filters.date_from else "",
            f"to {filters.date_to}" if filters.date_to else "",
        )
        if x
    )
    winners = sum(1 for s in stats if s.verdict == "winner")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}{COMPARE_CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{len({s.hook_id for s in stats})} hooks · {winners} winning · "
        f"target {_pct(target)} · {_e(scope)}</p></header><main>"
        f'<section class="card">{_form(filters, sorted({g.placement for g in groups}))}</section>'
        f'<section class="card"><h2>Ranking by hook rate</h2>{ranking_svg(stats, target)}'
        '<p class="muted">Bars: hook rate; whiskers: 95% Wilson interval; red line: target. '
        "Winner when the whole interval clears the target, below target when all of it misses.</p></section>"
        '<section class="card"><table id="hooks"><thead><tr><th>#</th><th>Poster</th><th>Hook</th>'
        "<th>Platform</th><th>Impressions</th><th>Plays</th><th>Hook rate (95% CI)</th>"
        "<th>Hold rate (95% CI)</th><th>Daily hook rate</th><th>Verdict</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
        f"{comparison_section(groups, poster_url=poster_url)}</main>"
        f"<footer><ul>{definitions}</ul></footer><script>{FILTER_SCRIPT}</script></body></html>"
    )


#: the approval page's security headers (CSP, frame, nosniff, no-store, no-referrer) minus its Content-Type: every
#: dashboard response carries them, in AWS and locally. Its CSP already allows what the page needs (inline SVG and
#: CSS, data:/https: poster images, the same-origin filter form) and nothing else (no scripts, no framing).
DASHBOARD_HEADERS: dict[str, str] = {k: v for k, v in SECURITY_HEADERS.items() if k.lower() != "content-type"}
# ... and the one inline script of the page (its client-side filters), allowed by its hash
DASHBOARD_HEADERS["Content-Security-Policy"] += f"; script-src {SCRIPT_HASH}"


def response_headers(content_type: str) -> dict[str, str]:
    """The headers of one dashboard response with this content type (security headers included)."""
    return {"Content-Type": content_type, **DASHBOARD_HEADERS}


#: the routes `GET /dashboard` and `GET /hooks` answer, in AWS (API Gateway) and locally (`dashboard --serve`)
ROUTES = ("/dashboard", "/hooks")


def respond(
    path: str,
    query: Mapping[str, str],
    *,
    metrics: Any,
    target: float,
    poster_url: Callable[[str], str | None],
    targets: dict[tuple[str, str], float] | None = None,
) -> tuple[int, str, str]:
    """Answer one dashboard request: (status, content type, body). `/dashboard` is the HTML page, `/hooks` the
    ranking as JSON; a bad filter is a 400 naming it, any other path a 404."""
    if path not in ROUTES:
        return 404, "text/plain; charset=utf-8", "not found"
    try:
        f = Filters.parse(platform=query.get("platform"), date_from=query.get("from"), date_to=query.get("to"))
    except ValueError as e:
        if path == "/hooks":
            return 400, "application/json", json.dumps({"error": "BadRequest", "message": str(e)})
        return 400, "text/plain; charset=utf-8", str(e)
    daily = path == "/dashboard"
    stats = build_report(
        metrics, target=target, daily=daily, platform=f.platform, date_from=f.date_from, date_to=f.date_to
    )
    if path == "/hooks":
        return 200, "application/json", json.dumps([s.to_dict() for s in stats])
    groups = comparisons(
        metrics, default_target=target, targets=targets, platform=f.platform, date_from=f.date_from, date_to=f.date_to
    )
    page = render_dashboard(stats, target=target, filters=f, poster_url=poster_url, groups=groups)
    return 200, "text/html; charset=utf-8", page


def _made_for(s: HookStat) -> str:
    """The hook's own cost (its run's paid calls), and per 1 000 of the platform's plays once there are some."""
    if s.cost_usd is None:
        return ""
    per = f" · ${s.cost_per_1000_plays:,.2f} per 1 000 plays" if s.cost_per_1000_plays is not None else ""
    return f" · made for ${s.cost_usd:,.2f}{per}"


def _fallbacks(s: HookStat) -> str:
    if not s.fallbacks:
        return ""
    items = "".join(f"<li>{_e(f)}</li>" for f in s.fallbacks[:5])
    return f"<ul class='fallbacks' title='fallbacks the run took'>{items}</ul>"
