"""Data access for the metrics table (layout and access patterns: `hookforge.metrics.model`).

Writes are batched: one BatchGetItem and one TransactWriteItems per chunk of up to 100 items, so an
import costs a few hundredths of a request per row. Every write is conditional on the version it read,
which keeps totals exactly equal to the sum of the day rows under re-imports, overlapping reports and
concurrent importers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from hookforge.errors import HookforgeError
from hookforge.metrics.ingest import BadRow
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
from hookforge.observability import logger
from hookforge.runs import _clean, plain

#: DynamoDB's limits per request
TRANSACT_MAX = 100
BATCH_GET_MAX = 100
#: hook fields copied onto each total so a ranking read is one Query
HOOK_FIELDS = ("run_id", "brief", "prompt", "preset", "poster_key", "image_provider", "video_provider", "created_at")


class MetricsWriteConflict(HookforgeError):
    """Concurrent imports kept changing the same rows; the import stopped before guessing."""

    hint = "Run the import again; it is idempotent."


@dataclass
class ApplyResult:
    written: int = 0
    unchanged: int = 0
    bad: list[BadRow] = field(default_factory=list)
    hooks: set[str] = field(default_factory=set)


def _dec(value: float) -> Decimal:
    return Decimal(str(round(float(value), 6)))


class MetricsStore:
    """The metrics table through an injected boto3 DynamoDB *resource* (moto in tests and locally)."""

    def __init__(self, dynamodb: Any, table: str, *, max_attempts: int = 6) -> None:
        self.table_name = table
        self.table = dynamodb.Table(table)
        self.client = dynamodb.meta.client
        self.max_attempts = max_attempts
        self._known: dict[str, dict[str, Any]] = {}
        #: DynamoDB requests this store made (the benchmark's denominator is rows)
        self.requests = 0
        self.client.meta.events.register("before-call.dynamodb.*", self._count, unique_id=f"hookforge-{id(self)}")

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
        self.table.put_item(Item=_clean(full))
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
    def apply(self, rows: list[DayRow]) -> ApplyResult:
        """Set each (hook, platform, day, ad) to the reported figures; keep totals exact (pattern 3).

        Rows of one ad, hook and day in the same input (breakdowns such as placement) are summed first.
        """
        result = ApplyResult()
        merged: dict[tuple[str, str], DayRow] = {}
        lines: dict[tuple[str, str], list[int]] = {}
        for row in rows:
            if row.key in merged:
                merged[row.key].add(row)
            else:
                merged[row.key] = DayRow(**row.__dict__)
            lines.setdefault(row.key, []).append(row.line)
        known = self.get_hooks({r.hook_id for r in merged.values()})
        good: list[DayRow] = []
        for key, row in merged.items():
            if row.hook_id in known:
                good.append(row)
                continue
            reason = f"unknown hook {row.hook_id}: no hook with this id is registered (check the ad name)"
            result.bad.extend(BadRow(line, reason) for line in lines[key])
        good.sort(key=lambda r: (r.hook_id, r.platform, r.day, r.ad_name))
        for chunk in self._plan(good):
            written = self._apply_chunk(chunk, known)
            for row in chunk:
                n = len(lines[row.key])
                if row.key in written:
                    result.written += n
                else:
                    result.unchanged += n
                result.hooks.add(row.hook_id)
        return result

    def _plan(self, rows: list[DayRow]) -> Iterator[list[DayRow]]:
        """Chunks whose day rows plus distinct totals fit one transaction (and one BatchGetItem)."""
        chunk: list[DayRow] = []
        totals: set[tuple[str, str]] = set()
        for row in rows:
            t = (row.hook_id, row.platform)
            if len(chunk) + len(totals | {t}) > TRANSACT_MAX:
                yield chunk
                chunk, totals = [], set()
            chunk.append(row)
            totals.add(t)
        if chunk:
            yield chunk

    def _apply_chunk(self, chunk: list[DayRow], hooks: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
        for attempt in range(self.max_attempts):
            keys = [{"pk": pk, "sk": sk} for pk, sk in (r.key for r in chunk)]
            total_keys = {(r.hook_id, r.platform) for r in chunk}
            keys += [{"pk": hook_pk(h), "sk": total_sk(p)} for h, p in sorted(total_keys)]
            old = {(i["pk"], i["sk"]): i for i in self._batch_get(keys)}
            items, written = self._transaction(chunk, old, hooks)
            if not items:
                return written
            try:
                self.client.transact_write_items(TransactItems=items)
                return written
            except ClientError as e:
                if not _retryable(e):
                    raise
                logger.info("metrics write conflict; re-reading", extra={"attempt": attempt + 1, "rows": len(chunk)})
                time.sleep(min(1.0, 0.02 * 2**attempt) * random.random())
        raise MetricsWriteConflict(
            f"{len(chunk)} metric rows kept conflicting with another import after {self.max_attempts} attempts"
        )

    def _transaction(
        self, chunk: list[DayRow], old: dict[tuple[str, str], dict[str, Any]], hooks: dict[str, dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
        items: list[dict[str, Any]] = []
        written: set[tuple[str, str]] = set()
        totals: dict[tuple[str, str], dict[str, Any]] = {}
        for row in chunk:
            before = old.get(row.key)
            new = {c: getattr(row, c) for c in COUNTERS}
            spend = _dec(row.spend)
            if before is not None and all(int(before.get(c, 0)) == v for c, v in new.items()) and Decimal(
                before.get("spend", 0)
            ) == spend:
                continue
            tkey = (row.hook_id, row.platform)
            if tkey not in totals:
                prev = old.get((hook_pk(row.hook_id), total_sk(row.platform)))
                totals[tkey] = {"prev": prev, **{c: int(prev.get(c, 0)) if prev else 0 for c in COUNTERS}}
                totals[tkey]["spend"] = Decimal(prev.get("spend", 0)) if prev else Decimal(0)
                totals[tkey]["days"] = int(prev.get("days", 0)) if prev else 0
            t = totals[tkey]
            for c, v in new.items():
                t[c] += v - (int(before.get(c, 0)) if before else 0)
            t["spend"] += spend - (Decimal(before.get("spend", 0)) if before else Decimal(0))
            if before is None:
                t["days"] += 1
            version = int(before["version"]) + 1 if before else 1
            pk, sk = row.key
            item = {
                "pk": pk,
                "sk": sk,
                "hook_id": row.hook_id,
                "platform": row.platform,
                "day": row.day,
                "ad_name": row.ad_name,
                **new,
                "spend": spend,
                "version": version,
                "updated_at": int(time.time()),
            }
            items.append({"Put": {"TableName": self.table_name, "Item": item, **_condition(before)}})
            written.add(row.key)
        for (hook_id, platform), t in totals.items():
            prev = t.pop("prev")
            rate = t["plays"] / t["impressions"] if t["impressions"] else 0.0
            meta = {k: hooks[hook_id][k] for k in HOOK_FIELDS if hooks[hook_id].get(k) is not None}
            item = {
                **_clean(meta),
                "pk": hook_pk(hook_id),
                "sk": total_sk(platform),
                "hook_id": hook_id,
                "platform": platform,
                **{c: t[c] for c in COUNTERS},
                "spend": t["spend"],
                "days": t["days"],
                "hook_rate": _dec(rate),
                "version": int(prev["version"]) + 1 if prev else 1,
                "gsi1pk": rank_pk(platform),
                "gsi1sk": rank_sk(rate, hook_id),
                "updated_at": int(time.time()),
            }
            items.append({"Put": {"TableName": self.table_name, "Item": item, **_condition(prev)}})
        return items, written

    # ----------------------------------------------------------------------------------- reads
    def ranking(self, platform: str) -> list[dict[str, Any]]:
        """Totals of every hook with data on `platform`, highest hook rate first (pattern 4)."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
        return self._query_gsi(rank_pk(platform), newest_first=True)

    def days(self, hook_id: str, platform: str | None = None) -> list[dict[str, Any]]:
        """The day rows of one hook, oldest first (pattern 6)."""
        prefix = f"DAY#{platform}#" if platform else "DAY#"
        cond = Key("pk").eq(hook_pk(hook_id)) & Key("sk").begins_with(prefix)
        return self._query(KeyConditionExpression=cond)

    def _query_gsi(self, partition: str, *, newest_first: bool) -> list[dict[str, Any]]:
        return self._query(
            IndexName=GSI_NAME, KeyConditionExpression=Key("gsi1pk").eq(partition), ScanIndexForward=not newest_first
        )

    def _query(self, **kwargs: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            page = self.table.query(**kwargs)
            out.extend(plain(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pending: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}} if keys else {}
        delay = 0.02
        while pending:
            page = self.client.batch_get_item(RequestItems=pending)
            out.extend(page.get("Responses", {}).get(self.table_name, []))
            pending = page.get("UnprocessedKeys") or {}
            if pending:
                time.sleep(delay * random.random())
                delay = min(1.0, delay * 2)
        return out


def _condition(before: dict[str, Any] | None) -> dict[str, Any]:
    if before is None:
        return {"ConditionExpression": "attribute_not_exists(pk)"}
    return {
        "ConditionExpression": "#v = :v",
        "ExpressionAttributeNames": {"#v": "version"},
        "ExpressionAttributeValues": {":v": before["version"]},
    }


def _retryable(e: ClientError) -> bool:
    """A lost race (condition failed or conflict) is retried; anything else is a real error."""
    code = e.response["Error"]["Code"]
    if code == "TransactionConflictException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = [r.get("Code", "None") for r in e.response.get("CancellationReasons", [])]
    return all(r in ("None", "ConditionalCheckFailed", "TransactionConflict") for r in reasons)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def table_definition(name: str) -> dict[str, Any]:
    """`create_table` arguments matching template.yaml's MetricsTable (tests and the local engine)."""
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": GSI_NAME,
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
