"""Data access for the metrics table (layout and access patterns: `hookforge.metrics.model`).

Writes are batched and compared first: before taking any lease an import reads which of its hook x platform
totals exist and, for those, the stored figures of its day rows (BatchGetItem, 100 keys a request whatever
hook they belong to); only the totals with a row that differs (or is new) go on to the write below. A
re-import or re-sync that changes nothing costs about one read per 100 rows and takes no lease. Day rows
are *set* (reports are cumulative), never added to, so re-imports and overlapping reports are idempotent.

Totals stay exact through a lease per hook x platform total: a conditional UpdateItem takes it (and marks
the total dirty); the rows to write are read again under it, since another import may have set them after
the first read (not when the lease created the total: a day row is only written under its total's lease,
so none exists yet); the changed ones are set with BatchWriteItem (25 items) and their differences added;
and a Put conditional on still holding the lease writes the new total and drops the lease. An import holds
one lease at a time (it writes hook after hook), so concurrent importers wait rather than deadlock; an
importer that died half-way leaves the total dirty, and the next lease holder recounts it from the day rows
(one Query). Cost: 2 requests per total with a changed row, plus the batches.

Why not TransactWriteItems? It would work on AWS, but moto copies the whole table for each transaction
item and sorts every item of the table on each Query, which makes a 100 000-row local import quadratic;
the lease design keeps the hot path to batch reads and writes and needs no Query at all. Why so few
attributes per day row, and the row's key inside `figures`? moto measures the whole item again for each
attribute it stores and converts the whole item again for each attribute a read projects: a day row keeps
what its readers need (hook, platform and day are in its key; `days` puts them back), and the first read
projects one attribute that says both which row it is and what it holds.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import groupby, islice
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from hookforge.errors import MetricsWriteConflict
from hookforge.metrics.ingest import Tally
from hookforge.metrics.model import (
    COUNTERS,
    GSI_NAME,
    HOOKS_PARTITION,
    PLATFORMS,
    DayRow,
    hook_pk,
    hooks_sk,
    rank_pk,
    rank_sk,
    total_sk,
)
from hookforge.metrics.spool import DaySpool
from hookforge.observability import logger
from hookforge.runs import key_condition, plain, to_item

#: DynamoDB's limits per request
BATCH_WRITE_MAX = 25
BATCH_GET_MAX = 100
#: rows checked against the registered hooks and summed into the spool at a time
SPOOL_BATCH = 10_000
#: summed rows compared with the table at a time (read back from the spool: memory holds one window)
COMPARE_WINDOW = 5_000
#: what an import reads first, without a lease: `figures` alone names its row and holds its numbers
_DAY_CHECK = ("figures",)
#: what it reads again under the lease, of the rows it means to write: the numbers the total's delta subtracts
_DAY_READ = ("pk", "sk", *COUNTERS, "spend", "figures")
#: hook fields copied onto each total so a ranking read is one Query
HOOK_FIELDS = ("run_id", "brief", "prompt", "preset", "poster_key", "image_provider", "video_provider", "created_at")


#: what `apply` returns: lines written, unchanged and bad, and the hooks touched
ApplyResult = Tally
_T = TypeVar("_T")


def _dec(value: float) -> Decimal:
    return Decimal(str(round(float(value), 6)))


def bulk_writer(session: Any, region: str | None) -> Any:
    """The low-level DynamoDB client of a store's day-row writes (see `MetricsStore`)."""
    from botocore.config import Config

    return session.client("dynamodb", region_name=region, config=Config(parameter_validation=False))


def _wire(item: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A day item in DynamoDB's JSON (what boto3's TypeSerializer makes of it: str -> S, int/Decimal -> N)."""
    return {k: {"S": v} if isinstance(v, str) else {"N": str(v)} for k, v in item.items()}


class MetricsStore:
    """The metrics table through an injected boto3 DynamoDB *resource* (moto in tests and locally).

    `writer` (optional, see `bulk_writer`): a low-level client of the same table for the day rows of imports and
    syncs, the bulk of every write. Those items are built here from strings, ints and Decimals only and sent as
    DynamoDB JSON (`_wire`), so the resource's per-request deep copy and serializer and botocore's client-side
    re-validation of every attribute are skipped (DynamoDB validates each request itself); they were a fifth of
    an import's time. Without one, the resource's client writes them."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        *,
        lease_seconds: int = 900,
        lease_wait: float = 120.0,
        writer: Any = None,
    ) -> None:
        self.table_name = table
        self.table = dynamodb.Table(table)
        self.client = dynamodb.meta.client
        self.writer = writer
        #: a lease outlives any Lambda (15 min), so only a crashed importer's lease ever expires
        self.lease_seconds = lease_seconds
        #: how long an import waits for another import of the same hook before giving up
        self.lease_wait = lease_wait
        self._known: dict[str, dict[str, Any]] = {}
        #: DynamoDB requests this store made (the benchmark's denominator is rows)
        self.requests = 0
        for client in filter(None, (self.client, writer)):
            client.meta.events.register("before-call.dynamodb.*", self._count, unique_id=f"hookforge-{id(self)}")

    def _count(self, **_: Any) -> None:
        self.requests += 1

    # ------------------------------------------------------------------------------------ hooks
    def put_hook(self, item: dict[str, Any]) -> dict[str, Any]:
        """Register (or re-register) a hook: pattern 1; it appears in every report from now on."""
        hook_id = item["hook_id"]
        created_at = int(item.get("created_at") or time.time())
        full = {
            **item,
            "pk": hook_pk(hook_id),
            "sk": "HOOK",
            "created_at": created_at,
            "gsi1pk": HOOKS_PARTITION,
            "gsi1sk": hooks_sk(created_at, hook_id),
        }
        self.table.put_item(Item=to_item(full))
        self._known[hook_id] = full
        return full

    def get_hooks(self, hook_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The hook items of the ids that exist (pattern 2, cached per store)."""
        wanted = [h for h in dict.fromkeys(hook_ids) if h not in self._known]
        for chunk in _chunks(wanted, BATCH_GET_MAX):
            for item in self._batch_get([{"pk": hook_pk(h), "sk": "HOOK"} for h in chunk]):
                self._known[item["hook_id"]] = item
        return {h: self._known[h] for h in hook_ids if h in self._known}

    def hooks(self) -> list[dict[str, Any]]:
        """Every registered hook, oldest first (pattern 5)."""
        return self._query_gsi(HOOKS_PARTITION, newest_first=False)

    # ---------------------------------------------------------------------------------- writes
    def apply(self, rows: Iterable[DayRow], *, tally: Tally | None = None) -> Tally:
        """Set each (hook, platform, day, ad) to the reported figures; keep totals exact (pattern 3).

        Rows of one ad, hook and day in the same input (breakdowns such as placement) are summed first, on
        disk: `rows` may be a stream of any length, memory holds one window. Nothing is written before the
        last row is read, so an input that fails to parse half-way changes nothing. Then the stored figures are
        compared, a window at a time, and each hook x platform with a changed row is written under its lease;
        `tally` (returned) counts lines written, unchanged and bad as it goes.
        """
        tally = Tally() if tally is None else tally
        with DaySpool() as spool:
            unknown: set[str] = set()
            for batch in _batches(rows, SPOOL_BATCH):
                spool.add(self._known_rows(batch, tally, unknown))
            # the spool reads back in key order: one hook x platform after the other, its days together
            for window in _batches(spool.rows(), COMPARE_WINDOW):
                self._apply_window(window, tally)
        return tally

    def _apply_window(self, window: list[tuple[DayRow, int]], tally: Tally) -> None:
        """Compare a window of summed rows with the table (no lease), then write the groups that changed.

        Nothing read here decides a write: a row found unchanged is left alone, and one found changed is
        compared again under its total's lease. So the rows of a total that does not exist yet (nothing of
        that hook x platform was ever written: a lease creates the total before any of its day rows) are not
        read at all."""
        totals = list(dict.fromkeys((hook_pk(row.hook_id), total_sk(row.platform)) for row, _ in window))
        existing = {(i["pk"], i["sk"]) for i in self._batch_get_all(_keys(totals), attributes=("pk", "sk"))}
        figures: dict[tuple[str, str], str] = {}
        for row, _ in window:
            if (hook_pk(row.hook_id), total_sk(row.platform)) in existing:
                key = row.key
                figures[key] = _figures(row, key)
        # a row stored before `figures` named its row matches none of ours: it is compared again under the lease
        stored = {f for i in self._batch_get_all(_keys(figures), attributes=_DAY_CHECK) if (f := i.get("figures"))}
        for group, items in groupby(window, key=lambda item: (item[0].hook_id, item[0].platform)):
            changed: list[tuple[DayRow, int]] = []
            for row, lines in items:
                if figures.get(row.key, "") in stored:
                    tally.unchanged += lines
                else:
                    changed.append((row, lines))
            if changed:
                self._apply_group(group, changed, tally)
            tally.hooks.add(group[0])

    def _known_rows(self, batch: list[DayRow], tally: Tally, unknown: set[str]) -> list[DayRow]:
        """The rows of registered hooks; the others are bad rows, each with its own line."""
        known = self.get_hooks({r.hook_id for r in batch} - unknown)
        if len(unknown) > 10_000:  # a bound on the ids remembered as unknown; forgetting costs a lookup
            unknown.clear()
        unknown.update(r.hook_id for r in batch if r.hook_id not in known)
        good = [r for r in batch if r.hook_id in known]
        for row in batch:
            if row.hook_id not in known:
                tally.bad.add(
                    row.line, f"unknown hook {row.hook_id}: no hook with this id is registered (check the ad name)"
                )
        return good

    def _apply_group(self, group: tuple[str, str], items: list[tuple[DayRow, int]], tally: Tally) -> None:
        """Write one hook x platform's changed day rows under its lease, then its new total."""
        token = uuid.uuid4().hex
        base, new_total = self._acquire(group, token)
        delta = _zero()
        try:
            for chunk in _batches(items, BATCH_GET_MAX):
                changed = self._write_days([row for row, _ in chunk], new_total=new_total)
                for row, lines in chunk:
                    if row.key in changed:
                        tally.written += lines
                        _accumulate(delta, row, changed[row.key])
                    else:
                        tally.unchanged += lines
            self._release(group, token, base, delta, self._known[group[0]])
        except BaseException:
            # hand back the lease left dirty: the next import recounts this total instead of waiting for it
            self._abandon(group, token)
            raise

    def _abandon(self, group: tuple[str, str], token: str) -> None:
        try:
            self.table.update_item(
                Key={"pk": hook_pk(group[0]), "sk": total_sk(group[1])},
                UpdateExpression="REMOVE lock_owner, lock_expires SET dirty = :d",
                ConditionExpression="lock_owner = :t",
                ExpressionAttributeValues={":t": token, ":d": True},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return  # no longer ours: whoever holds it now recounts
            logger.exception("could not hand back a metrics lease", extra={"hook_id": group[0], "platform": group[1]})

    def _write_days(
        self, chunk: list[DayRow], *, new_total: bool
    ) -> dict[tuple[str, str], dict[str, Any] | None]:
        """Set the chunk's day rows (idempotent puts) under the lease; changed key -> the stored row it replaced
        (or None). The rows are read again first (another import may have set them since the lease-free read),
        unless our lease created the total: then no day row of it existed, and none can appear while we hold it."""
        items = {r.key: _day_item(r) for r in chunk}
        old = {} if new_total else {(i["pk"], i["sk"]): i for i in self._batch_get(_keys(items), attributes=_DAY_READ)}
        puts: list[dict[str, Any]] = []
        changed: dict[tuple[str, str], dict[str, Any] | None] = {}
        for key, item in items.items():
            before = old.get(key)
            if before is not None and before.get("figures") == item["figures"]:
                continue
            puts.append(item)
            if before is None or any(before.get(k) != item[k] for k in (*COUNTERS, "spend")):
                changed[key] = before
            # else: a row stored in an older layout with the same numbers, rewritten once (the total moves by 0)
        for i in range(0, len(puts), BATCH_WRITE_MAX):
            self._batch_write(puts[i : i + BATCH_WRITE_MAX])
        return changed

    # ---------------------------------------------------------------------------------- leases
    def _acquire(self, group: tuple[str, str], token: str) -> tuple[dict[str, Any], bool]:
        """Take the lease on one total: its counters to add deltas to (recounted if left dirty), and whether the
        lease created the total (nothing of this hook x platform was written before)."""
        hook_id, platform = group
        key = {"pk": hook_pk(hook_id), "sk": total_sk(platform)}
        deadline = time.monotonic() + self.lease_wait
        delay = 0.05
        while True:
            now = int(time.time())
            try:
                old = self.table.update_item(
                    Key=key,
                    UpdateExpression="SET lock_owner = :t, lock_expires = :e, dirty = :d",
                    ConditionExpression="attribute_not_exists(lock_owner) OR lock_expires < :now",
                    ExpressionAttributeValues={":t": token, ":e": now + self.lease_seconds, ":d": True, ":now": now},
                    ReturnValues="ALL_OLD",
                ).get("Attributes")
                break
            except ClientError as e:
                if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            if time.monotonic() > deadline:
                raise MetricsWriteConflict(
                    f"another import holds the {platform} totals of {hook_id}; waited {self.lease_wait:.0f} s"
                )
            time.sleep(delay * (0.5 + random.random()))
            delay = min(2.0, delay * 2)
        if old and old.get("dirty"):
            # the previous holder stopped between its day writes and its total: count the days again
            logger.info("metrics total left unfinished; recounting", extra={"hook_id": hook_id, "platform": platform})
            return self._recount(hook_id, platform), False
        base = _zero()
        if old:
            for k in base:
                base[k] = old.get(k, base[k])
        return base, old is None

    def _release(
        self,
        group: tuple[str, str],
        token: str,
        base: dict[str, Any],
        delta: dict[str, Any],
        hook: dict[str, Any],
    ) -> None:
        """Write the new total (base + delta) and drop the lease, only if the lease is still ours."""
        hook_id, platform = group
        key = {"pk": hook_pk(hook_id), "sk": total_sk(platform)}
        sums = {k: base[k] + delta[k] for k in base}
        rate = sums["plays"] / sums["impressions"] if sums["impressions"] else 0.0
        meta = {k: hook[k] for k in HOOK_FIELDS if hook.get(k) is not None}
        item = {
            **to_item(meta),
            **key,
            "hook_id": hook_id,
            "platform": platform,
            **{c: int(sums[c]) for c in (*COUNTERS, "days")},
            "spend": _dec(sums["spend"]),
            "hook_rate": _dec(rate),
            "gsi1pk": rank_pk(platform),
            "gsi1sk": rank_sk(rate, hook_id),
            "updated_at": int(time.time()),
        }
        try:
            self.table.put_item(
                Item=item,
                ConditionExpression="lock_owner = :t",
                ExpressionAttributeValues={":t": token},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # our lease expired and someone else took it: leave the total marked for a recount
            self.table.update_item(Key=key, UpdateExpression="SET dirty = :d", ExpressionAttributeValues={":d": True})
            raise MetricsWriteConflict(
                f"the lease on the {platform} totals of {hook_id} expired during the import; "
                "the total is marked for a recount on the next import"
            ) from e

    def _recount(self, hook_id: str, platform: str) -> dict[str, Any]:
        """The sums of every stored day row of one hook on one platform (pattern 6; the repair path)."""
        days = self._query(
            **key_condition(hook_pk(hook_id), f"DAY#{platform}#"),
            ConsistentRead=True,
        )
        base = _zero()
        for d in days:
            for c in COUNTERS:
                base[c] += int(d.get(c, 0))
            base["spend"] += Decimal(str(d.get("spend", 0)))
        base["days"] = len(days)
        return base

    # ----------------------------------------------------------------------------------- reads
    def ranking(self, platform: str) -> list[dict[str, Any]]:
        """Totals of every hook with data on `platform`, highest hook rate first (pattern 4)."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
        return self._query_gsi(rank_pk(platform), newest_first=True)

    def days(self, hook_id: str, platform: str | None = None) -> list[dict[str, Any]]:
        """The day rows of one hook, oldest first (pattern 6), with the hook id, platform and day of their key."""
        prefix = f"DAY#{platform}#" if platform else "DAY#"
        out = self._query(**key_condition(hook_pk(hook_id), prefix))
        for d in out:
            _, day_platform, day, _ = str(d["sk"]).split("#", 3)
            d.setdefault("hook_id", hook_id)
            d.setdefault("platform", day_platform)
            d.setdefault("day", day)
        return out

    def _query_gsi(self, partition: str, *, newest_first: bool) -> list[dict[str, Any]]:
        return self._query(
            IndexName=GSI_NAME, **key_condition(partition, key="gsi1pk"), ScanIndexForward=not newest_first
        )

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self.table.query(**kwargs)
            out.extend(plain(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_write(self, items: list[dict[str, Any]]) -> None:
        client = self.writer or self.client
        if self.writer is not None:
            items = [_wire(i) for i in items]
        pending: dict[str, Any] = {self.table_name: [{"PutRequest": {"Item": i}} for i in items]}
        delay = 0.02
        while pending:  # unprocessed items come back in the format they were sent in
            page = client.batch_write_item(RequestItems=pending)
            pending = page.get("UnprocessedItems") or {}
            if pending:
                time.sleep(delay * random.random())
                delay = min(1.0, delay * 2)

    def _batch_get_all(self, keys: list[dict[str, str]], *, attributes: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        for chunk in _batches(keys, BATCH_GET_MAX):
            yield from self._batch_get(chunk, attributes=attributes)

    def _batch_get(self, keys: list[dict[str, str]], *, attributes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        request: dict[str, Any] = {"Keys": keys, "ConsistentRead": True}
        if attributes:
            names = {f"#a{i}": a for i, a in enumerate(attributes)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        pending: dict[str, Any] = {self.table_name: request} if keys else {}
        delay = 0.02
        while pending:
            page = self.client.batch_get_item(RequestItems=pending)
            out.extend(page.get("Responses", {}).get(self.table_name, []))
            pending = page.get("UnprocessedKeys") or {}
            if pending:
                time.sleep(delay * random.random())
                delay = min(1.0, delay * 2)
        return out


def _zero() -> dict[str, Any]:
    return {"impressions": 0, "plays": 0, "holds": 0, "clicks": 0, "spend": Decimal(0), "days": 0}


def _accumulate(delta: dict[str, Any], row: DayRow, before: dict[str, Any] | None) -> None:
    for c in COUNTERS:
        delta[c] += getattr(row, c) - (int(before.get(c, 0)) if before else 0)
    delta["spend"] += _dec(row.spend) - (Decimal(before.get("spend", 0)) if before else Decimal(0))
    if before is None:
        delta["days"] += 1


def _day_item(row: DayRow) -> dict[str, Any]:
    """A day row as stored: its key (hook, platform, day, ad), the ad's name and numbers, and `figures`."""
    pk, sk = key = row.key
    return {
        "pk": pk,
        "sk": sk,
        "ad_name": row.ad_name,
        **{c: getattr(row, c) for c in COUNTERS},
        "spend": _dec(row.spend),
        # what a synced row adds (empty on imports): the ad id, its placement and the spend's currency
        **{k: v for k in ("ad_id", "placement", "currency") if (v := getattr(row, k))},
        "figures": _figures(row, key),
    }


def _figures(row: DayRow, key: tuple[str, str]) -> str:
    """The row's key and the figures an import sets, as one string: equal strings, same row and same figures.

    The key is in it so that a read of this one attribute says which row it came from (BatchGetItem answers
    in no particular order)."""
    return "|".join([*key, *(str(getattr(row, c)) for c in COUNTERS), str(_dec(row.spend))])


def _keys(keys: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"pk": pk, "sk": sk} for pk, sk in keys]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
