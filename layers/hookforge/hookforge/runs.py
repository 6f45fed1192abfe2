"""The runs table: one item per run (status, step outcomes) plus the items that hang off a run or start one.

Every read and write of the table goes through `RunsRepo` here, except the approval items, which
`approval/records.py` owns. Access patterns (pk, sk):

- a run:             `RUN#<run_id>`, `RUN`. Put when ValidateBrief (or RecordFailure for a run that never
                     got that far) starts it, updated by every step (status, step, outputs), read by id
                     (`start`, `update`, `get`).
- a video attempt:   `RUN#<run_id>`, `VIDEO#<attempt>`. SubmitVideo's `VideoClaim`: a conditional put
                     before the paid create, so one attempt creates at most one provider task; replaced only
                     while its state is still `NOT_CREATED`; the run's claims are queried by the `VIDEO#`
                     prefix to replay or resume; PollVideo adds an `outcome` to it (`claim_video`,
                     `reclaim_video`, `put_video_claim`, `video_claim`, `video_claims`; generic `*_child`).
- a trigger claim:   `TRIGGER#<execution name>`, `TRIGGER`. The run queue's claim on a deterministic
                     execution name (dedupe of at-least-once S3/EventBridge deliveries): a conditional put
                     at `starting`, read to tell a duplicate delivery, updated to `queued` / `started`
                     (`claim_trigger`, `trigger_state`, `set_trigger_state`).
- a queued run:      `QUEUE`, `<queued_at %017.6f>#<execution name>`. A run waiting for a slot under
                     `max_active_runs`: put, queried oldest first (sort key order, `Limit` = free slots), and
                     taken by a conditional delete so it starts once however many runs end together
                     (`enqueue`, `queued`, `dequeue`).
- an approval:       `APPROVAL#<approval_id>`, `APPROVAL`. A selection round waiting for a reviewer
                     (`approval/records.py`, `ApprovalStore`): conditional put on create, get by id, a scan
                     for a run's undecided approval (`run_id`, `decided = false`, local engine only), a
                     conditional update `decided = false -> true` so a decision is single-use, and a
                     conditional reopen of that very decision when its task could not be answered.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field


def to_item(value: Any) -> Any:
    """DynamoDB wants Decimal, not float; drop None values."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_item(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_item(v) for v in value]
    return value


def key_condition(partition: str, sort_prefix: str | None = None, *, key: str = "pk") -> dict[str, Any]:
    """A Query's key condition as a written expression: `key` equals `partition` (and the sort key `sk` begins with
    `sort_prefix`). Not boto3's Key(...) objects: a Table numbers their placeholders in counters it shares across
    threads, so two threads querying through one Table (the local engine's parallel Map iterations, the local
    service's runs at once) could send each other's attribute names."""
    names, values = {"#k": key}, {":k": partition}
    expression = "#k = :k"
    if sort_prefix is not None:
        names["#s"], values[":s"] = "sk", sort_prefix
        expression += " AND begins_with(#s, :s)"
    return {
        "KeyConditionExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


def plain(value: Any) -> Any:
    """The inverse of `to_item` for reading: Decimal back to int/float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


#: the sort-key prefix of a run's video attempts
VIDEO_PREFIX = "VIDEO#"

VideoClaimState = Literal["CREATING", "CREATED", "NOT_CREATED", "UNCONFIRMED"]


def video_claim_key(attempt: int) -> str:
    """The sort key of one SubmitVideo attempt under its run."""
    return f"{VIDEO_PREFIX}{attempt}"


class VideoClaim(BaseModel):
    """One SubmitVideo attempt (`RUN#<run_id>` / `VIDEO#<attempt>`), written *before* the paid create.

    The claim is what makes a retried SubmitVideo replay the task it already created instead of paying for a
    second one (states: see `hookforge.steps.submit_video`). Field names are the stored attribute names, so
    items written before this model existed still read; attributes it does not name (pk, sk) are ignored.
    """

    model_config = ConfigDict(extra="ignore")

    attempt: int
    provider: str
    provider_index: int
    state: VideoClaimState
    resubmits: int = 0
    fallbacks: list[str] = Field(default_factory=list)
    deadline: float | None = None
    ratio: str | None = None
    claimed_at: float | None = None
    #: why the create failed (NOT_CREATED) or why its answer is unknown (UNCONFIRMED)
    error: str | None = None
    # set once the task exists (CREATED)
    task_id: str | None = None
    model: str | None = None
    seconds: float | None = None
    expected_seconds: float | None = None
    credits: float | None = None
    cost_usd: float | None = None
    submitted_at: float | None = None
    #: added by PollVideo when the provider's task failed (e.g. "FAILED INTERNAL.BAD_OUTPUT.CODE01")
    outcome: str | None = None

    def to_fields(self) -> dict[str, Any]:
        """The stored attributes (unset values are left out, as the dicts this model replaces did)."""
        return self.model_dump(exclude_none=True)


TriggerState = Literal["starting", "started", "queued"]


class QueuedRun(BaseModel):
    """A run waiting in the `QUEUE` for a free slot; `position` is its sort key (enqueue time, then name)."""

    model_config = ConfigDict(frozen=True)

    position: str
    name: str
    brief_key: str


class RunsRepo:
    """Data access for the runs table through an injected boto3 DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self.table = dynamodb.Table(table) if hasattr(dynamodb, "Table") else dynamodb
        self.table_name = table

    def start(self, run_id: str, *, brief_key: str, brief_name: str | None = None) -> None:
        now = int(time.time())
        self.table.put_item(
            Item=to_item(
                {
                    "pk": f"RUN#{run_id}",
                    "sk": "RUN",
                    "run_id": run_id,
                    "status": "RUNNING",
                    "brief_key": brief_key,
                    "brief_name": brief_name,
                    "started_at": now,
                    "updated_at": now,
                }
            )
        )

    def update(self, run_id: str, **fields: Any) -> None:
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["updated_at"] = int(time.time())
        names = {f"#{k}": k for k in fields}
        values = {f":{k}": to_item(v) for k, v in fields.items()}
        self.table.update_item(
            Key={"pk": f"RUN#{run_id}", "sk": "RUN"},
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def get(self, run_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"RUN#{run_id}", "sk": "RUN"}).get("Item")
        return plain(item) if item else None

    def list_runs(self, *, limit: int = 1000) -> list[dict[str, Any]]:
        """Every run item, newest first (`hookforge runs`; a scan: the local table, or a small one)."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"FilterExpression": "sk = :run", "ExpressionAttributeValues": {":run": "RUN"}}
        while len(items) < limit:
            page = self.table.scan(**kwargs)
            items.extend(plain(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        items.sort(key=lambda item: float(item.get("started_at") or 0), reverse=True)
        return items[:limit]

    def put_child(self, run_id: str, sk: str, item: dict[str, Any], *, only_if_new: bool = False) -> bool:
        """Store an item under the run; with only_if_new, False when it already existed."""
        kwargs: dict[str, Any] = {"Item": to_item({"pk": f"RUN#{run_id}", "sk": sk, **item})}
        if only_if_new:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self.table.put_item(**kwargs)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def replace_child_if(self, run_id: str, sk: str, item: dict[str, Any], *, field: str, equals: Any) -> bool:
        """Overwrite a child item only while its `field` still equals `equals`; False when it did not."""
        try:
            self.table.put_item(
                Item=to_item({"pk": f"RUN#{run_id}", "sk": sk, **item}),
                ConditionExpression="#f = :v",
                ExpressionAttributeNames={"#f": field},
                ExpressionAttributeValues={":v": to_item(equals)},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def children(self, run_id: str, prefix: str) -> list[dict[str, Any]]:
        """Every child item of a run whose sort key starts with `prefix`."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = key_condition(f"RUN#{run_id}", prefix)
        while True:
            page = self.table.query(**kwargs)
            items.extend(plain(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_child(self, run_id: str, sk: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"RUN#{run_id}", "sk": sk}).get("Item")
        return plain(item) if item else None

    # --- video attempts: RUN#<run_id> / VIDEO#<attempt> ----------------------------------------------
    def claim_video(self, run_id: str, claim: VideoClaim) -> bool:
        """Write the claim of a new attempt; False when the attempt was already claimed (by anyone)."""
        return self.put_child(run_id, video_claim_key(claim.attempt), claim.to_fields(), only_if_new=True)

    def reclaim_video(self, run_id: str, claim: VideoClaim) -> bool:
        """Take over an attempt whose create is known to have failed; False unless it is still NOT_CREATED."""
        return self.replace_child_if(
            run_id, video_claim_key(claim.attempt), claim.to_fields(), field="state", equals="NOT_CREATED"
        )

    def put_video_claim(self, run_id: str, claim: VideoClaim) -> None:
        """Record how the attempt's create ended (unconditionally: only the claim's holder gets here)."""
        self.put_child(run_id, video_claim_key(claim.attempt), claim.to_fields())

    def video_claim(self, run_id: str, attempt: int) -> VideoClaim | None:
        item = self.get_child(run_id, video_claim_key(attempt))
        return VideoClaim.model_validate(item) if item else None

    def video_claims(self, run_id: str) -> list[VideoClaim]:
        """Every video attempt of a run, oldest attempt first."""
        claims = [VideoClaim.model_validate(item) for item in self.children(run_id, VIDEO_PREFIX)]
        return sorted(claims, key=lambda c: c.attempt)

    # --- the run queue: TRIGGER#<name> / TRIGGER and QUEUE / <queued_at>#<name> ----------------------------
    def claim_trigger(self, name: str, brief_key: str) -> bool:
        """Claim an execution name at "starting"; False when a delivery of the same object claimed it before."""
        item = {"pk": f"TRIGGER#{name}", "sk": "TRIGGER", "brief_key": brief_key, "state": "starting"}
        try:
            self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def trigger_state(self, name: str) -> str | None:
        """The state of an execution name's claim (None when there is no claim or it has no state)."""
        item = self.table.get_item(Key={"pk": f"TRIGGER#{name}", "sk": "TRIGGER"}).get("Item") or {}
        state = item.get("state")
        return None if state is None else str(state)

    def set_trigger_state(self, name: str, state: TriggerState) -> None:
        self.table.update_item(
            Key={"pk": f"TRIGGER#{name}", "sk": "TRIGGER"},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": state},
        )

    def enqueue(self, name: str, brief_key: str, *, queued_at: float) -> None:
        """Put a run in the queue; the zero-padded time first in the sort key keeps the queue in arrival order."""
        self.table.put_item(
            Item={"pk": "QUEUE", "sk": f"{queued_at:017.6f}#{name}", "name": name, "brief_key": brief_key}
        )

    def queued(self, *, limit: int) -> list[QueuedRun]:
        """The `limit` oldest queued runs, oldest first."""
        page = self.table.query(**key_condition("QUEUE"), ScanIndexForward=True, Limit=limit)
        items = page.get("Items", [])
        return [QueuedRun(position=str(i["sk"]), name=str(i["name"]), brief_key=str(i["brief_key"])) for i in items]

    def dequeue(self, queued: QueuedRun) -> bool:
        """Take a run out of the queue; False when another ending run took it first (a conditional delete)."""
        try:
            self.table.delete_item(
                Key={"pk": "QUEUE", "sk": queued.position}, ConditionExpression="attribute_exists(pk)"
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def run_cost(run: dict[str, Any], output: dict[str, Any]) -> float:
    """What a run's paid calls cost (US$): its recorded total, else every `*cost_usd` the steps recorded on the run
    plus the stills' (from the execution's output)."""
    if isinstance(run.get("cost_usd"), int | float):
        return float(run["cost_usd"])
    total = sum(float(v) for k, v in run.items() if k.endswith("cost_usd") and isinstance(v, int | float))
    for generated in output.get("generated") or []:
        candidate = (generated or {}).get("candidate") or {}
        if isinstance(candidate.get("cost_usd"), int | float):
            total += float(candidate["cost_usd"])
    return round(total, 4)
