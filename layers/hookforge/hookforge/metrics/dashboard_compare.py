"""The dashboard's comparison view (one card per platform x placement x brief: P(best), budget split, money,
fatigue, trend) and the small script that makes its filters work in a static file as well as served.

The script is inline and fixed (no data inside it), so the served page allows exactly it by its hash in the
Content-Security-Policy; data reaches it through escaped `data-` attributes only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable

from hookforge.metrics.compare import Entry, Group

_CLASS = {"winner": "winner", "below target": "below", "needs data": "needs"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x * 100:.{digits}f}%"


def _money(x: float | None, currency: str) -> str:
    if x is None:
        return "–"
    return (
        f"{x:,.2f} {currency}".strip()
        if currency not in ("", "mixed")
        else f"{x:,.2f}" + (" (mixed currencies)" if currency == "mixed" else "")
    )


def _trend(e: Entry, target: float, *, width: int = 120, height: int = 32) -> str:
    points = [(d["date"], d["plays"] / d["impressions"]) for d in e.daily if d["impressions"]]
    if not points:
        return '<span class="muted">no days</span>'
    top = max([target * 1.5] + [r for _, r in points])
    step = (width - 8) / max(1, len(points) - 1)

    def y(r: float) -> float:
        return height - 4 - (height - 8) * r / top

    coords = " ".join(f"{4 + i * step:.1f},{y(r):.1f}" for i, (_, r) in enumerate(points))
    return (
        f'<svg class="spark trend" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="daily hook rate"><line x1="0" x2="{width}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
        f'class="spark-target"/><polyline points="{coords}" class="spark-line"/></svg>'
    )


def _row(e: Entry, g: Group, poster_url: Callable[[str], str | None] | None) -> str:
    url = poster_url(e.poster_key) if (poster_url and e.poster_key) else None
    poster = (
        f'<img class="thumb" src="{_e(url)}" alt="poster of {_e(e.hook_id)}">'
        if url
        else '<div class="nothumb">no poster</div>'
    )
    daily = json.dumps([[d["date"], d["impressions"], d["plays"], d["spend"], d["clicks"]] for d in e.daily])
    best = ' <span class="badge winner">best</span>' if g.best == e.hook_id else ""
    tired = f' <span class="badge below" title="{_e(e.fatigue_reason)}">fatigue</span>' if e.fatigued else ""
    return (
        f'<tr class="entry" data-hook-id="{_e(e.hook_id)}" data-currency="{_e(e.currency)}" data-daily="{_e(daily)}">'
        f"<td>{poster}</td><td><b>{_e(e.hook_id)}</b>{best}{tired}"
        f"<div class='prompt'>{_e((e.prompt or '')[:120])}</div></td>"
        f"<td class='num c-imp'>{e.impressions:,}</td><td class='num c-plays'>{e.plays:,}</td>"
        f"<td class='num'><b class='c-rate'>{_pct(e.hook_rate)}</b><div class='ci'>{_pct(e.hook_rate_low)}–"
        f"{_pct(e.hook_rate_high)}</div></td>"
        f"<td class='num'><div class='pbest'><span style='width:{e.p_best * 100:.1f}%'></span></div>"
        f"<span class='c-pbest'>{_pct(e.p_best)}</span></td>"
        f"<td class='num c-share'>{_pct(e.budget_share, 0)}</td>"
        f"<td class='num c-spend'>{_money(e.spend, e.currency)}</td>"
        f"<td class='num c-cpm'>{_money(e.cpm, e.currency)}</td>"
        f"<td class='num c-cpp'>{_money(e.cost_per_play, e.currency)}</td>"
        f"<td class='num c-ctr'>{_pct(e.ctr, 2)}</td>"
        f"<td>{_trend(e, g.target)}</td>"
        f'<td><span class="badge {_CLASS.get(e.verdict, "needs")}">{_e(e.verdict)}</span></td></tr>'
    )


def comparison_section(groups: list[Group], *, poster_url: Callable[[str], str | None] | None = None) -> str:
    """One card per group; its heading names the definition and the target with its source."""
    if not groups:
        return (
            '<section class="card" id="compare"><h2>Compare hooks</h2><p class="muted">No ad-platform data yet: '
            "sync (`hookforge metrics sync`) or import a report.</p></section>"
        )
    cards = []
    for g in groups:
        verdict = (
            "one hook only: nothing to compare it with"
            if len(g.entries) == 1
            else f"<b>{_e(g.best)}</b> is best (P ≥ 95 %)"
            if g.best
            else (
                "no hook is clearly best yet"
                if g.ready
                else f"needs {g.min_impressions:,} impressions per hook before any verdict"
            )
        )
        rows = "".join(_row(e, g, poster_url) for e in g.entries)
        cards.append(
            f'<div class="group" data-platform="{_e(g.platform)}" data-placement="{_e(g.placement)}" '
            f'data-brief="{_e(g.brief)}"><h3>{_e(g.platform)} · {_e(g.placement)} · {_e(g.brief)}</h3>'
            f'<p class="muted">{_e(g.definition)} · target {_pct(g.target)} ({_e(g.target_source)}) · '
            f"{verdict}</p>"
            '<table class="compare"><thead><tr><th>Poster</th><th>Hook</th><th>Impressions</th><th>Plays</th>'
            "<th>Hook rate (95% CI)</th><th>P(best)</th><th>Budget split</th><th>Spend</th><th>CPM</th>"
            "<th>Cost per play</th><th>CTR</th><th>Trend</th><th>Verdict</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )
    return (
        '<section class="card" id="compare"><h2>Compare hooks (per platform, placement and brief)</h2>'
        '<p class="muted">P(best): posterior probability (Beta-Binomial, Monte Carlo) that the hook has the highest '
        "hook rate of its group; budget split: Thompson sampling. A date filter recomputes counts and money; "
        'P(best) stays that of the whole period.</p><p id="compare-empty" class="muted" hidden>No hook matches the '
        f"filters.</p>{''.join(cards)}</section>"
    )


COMPARE_CSS = """
.group{margin:14px 0 22px}.group h3{margin:0 0 2px;font-size:15px;text-transform:capitalize}
table.compare td,table.compare th{padding:6px}.thumb{width:36px;height:64px;object-fit:cover;border-radius:4px;
display:block}.nothumb{width:36px;height:64px;border-radius:4px;background:#e5e7eb;color:#9ca3af;font-size:9px;
display:flex;align-items:center;justify-content:center}.pbest{width:70px;height:8px;background:#e5e7eb;
border-radius:4px;display:inline-block;margin-right:6px}.pbest span{display:block;height:8px;border-radius:4px;
background:#6366f1}[hidden]{display:none!important}
"""

#: filters the rendered page in the browser: the served page re-renders on submit, a static file cannot, so there
#: the form is applied here (platform and placement hide rows; dates recompute counts and money from the days)
FILTER_SCRIPT = """
(function(){
var form=document.querySelector('form.filters');if(!form)return;
var isFile=location.protocol==='file:';
var q=new URLSearchParams(location.search);var pl=form.querySelector('[name=placement]');
if(pl&&q.get('placement'))pl.value=q.get('placement');
function pct(x,d){return x==null?'\\u2013':(x*100).toFixed(d)+'%';}
function money(x,c){if(x==null)return'\\u2013';
var t=x.toLocaleString('en-US',{minimumFractionDigits:2,maximumFractionDigits:2});return c&&c!=='mixed'?t+' '+c:t;}
function apply(){
var p=form.platform.value,place=pl?pl.value:'',from=form.from.value,to=form.to.value,shown=0;
document.querySelectorAll('#compare .group').forEach(function(g){
var ok=(!p||g.dataset.platform===p)&&(!place||g.dataset.placement===place),rows=0;
g.querySelectorAll('tr.entry').forEach(function(r){
var c=r.dataset.currency,s=[0,0,0,0],n=0;JSON.parse(r.dataset.daily).forEach(function(d){
if((from&&d[0]<from)||(to&&d[0]>to))return;n++;s[0]+=d[1];s[1]+=d[2];s[2]+=d[3];s[3]+=d[4];});
var vis=ok&&n>0;r.hidden=!vis;if(!vis)return;rows++;
r.querySelector('.c-imp').textContent=s[0].toLocaleString('en-US');
r.querySelector('.c-plays').textContent=s[1].toLocaleString('en-US');
r.querySelector('.c-rate').textContent=pct(s[0]?s[1]/s[0]:null,1);
r.querySelector('.c-spend').textContent=money(s[2],c);
r.querySelector('.c-cpm').textContent=money(s[0]?s[2]/s[0]*1000:null,c);
r.querySelector('.c-cpp').textContent=money(s[1]?s[2]/s[1]:null,c);
r.querySelector('.c-ctr').textContent=pct(s[0]?s[3]/s[0]:null,2);});
g.hidden=rows===0;shown+=rows;});
var empty=document.getElementById('compare-empty');if(empty)empty.hidden=shown>0;
if(isFile){document.querySelectorAll('tr.hook, #ranking g.rank-row').forEach(function(r){
r.hidden=!!p&&r.dataset.platform!==p;if(r.tagName==='g')r.style.display=r.hidden?'none':'';});}
}
form.addEventListener('submit',function(e){if(isFile){e.preventDefault();apply();}});
form.addEventListener('change',function(){if(isFile)apply();});
apply();
})();
"""

#: the CSP source that allows exactly FILTER_SCRIPT
SCRIPT_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(FILTER_SCRIPT.encode()).digest()).decode() + "'"
