"""Approval records: the task token stays here, server-side; a decision is single-use.

An approval lives in the runs table (pk `APPROVAL#<id>`). Deciding is a conditional update on
`decided = false`, so two reviewers (or a replayed request) cannot both decide.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from hookforge.errors import ApprovalAlreadyDecided, ApprovalExpired, ApprovalNotFound, DecisionInvalid
from hookforge.models import Candidate, Selection
from hookforge.prompts import encode_feedback
from hookforge.runs import plain, to_item


class ApprovalRecord(BaseModel):
    """One selection round waiting for a reviewer. `task_token` never leaves the server."""

    approval_id: str
    run_id: str
    task_token: str = Field(repr=False)
    candidates: list[Candidate]
    motion_prompt: str
    prompt: str
    reviewers: list[str] = Field(default_factory=list)
    round: int = 0
    max_rounds: int = 2
    expires_at: int
    decided: bool = False
    decision: dict[str, Any] | None = None
    decided_at: int | None = None
    #: sha256 of the form token nonce that decided (audit; the conditional write makes it single-use)
    decided_nonce_hash: str | None = None
    brief_name: str = ""
    #: the feedback that produced this round's candidates ("" in round 0)
    feedback: str = ""
    contact_sheet_key: str | None = None
    thumbnail_keys: list[str] = Field(default_factory=list)
    #: the run's paid calls so far (USD), and what the clip of the picked still should cost and where
    spent_usd: float = 0.0
    video_estimate_usd: float | None = None
    video_provider: str = ""


class Decision(BaseModel):
    action: Literal["pick", "regenerate", "reject"]
    index: int | None = None
    motion_prompt: str | None = Field(default=None, max_length=1000)
    feedback: str = Field(default="", max_length=500)
    #: regenerate: the image prompt as the reviewer edited it (the next round draws exactly this)
    image_prompt: str | None = Field(default=None, max_length=2000)
    decided_by: str = "reviewer"


class ApprovalStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.table = dynamodb.Table(table)

    def create(self, record: ApprovalRecord) -> None:
        self.table.put_item(
            Item=to_item({"pk": f"APPROVAL#{record.approval_id}", "sk": "APPROVAL", **record.model_dump(mode="json")}),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, approval_id: str) -> ApprovalRecord:
        item = self.table.get_item(Key={"pk": f"APPROVAL#{approval_id}", "sk": "APPROVAL"}).get("Item")
        if not item:
            raise ApprovalNotFound(f"approval {approval_id!r} does not exist")
        data = plain(item)
        data.pop("pk"), data.pop("sk")
        return ApprovalRecord.model_validate(data)

    def pending_for_run(self, run_id: str) -> ApprovalRecord | None:
        """The undecided approval of a run (the local engine answers it for `--pick`)."""
        response = self.table.scan(
            FilterExpression="run_id = :r AND decided = :f AND sk = :s",
            ExpressionAttributeValues={":r": run_id, ":f": False, ":s": "APPROVAL"},
        )
        items = [plain(i) for i in response.get("Items", [])]
        if not items:
            return None
        newest = max(items, key=lambda i: i.get("round", 0))
        newest.pop("pk"), newest.pop("sk")
        return ApprovalRecord.model_validate(newest)

    def mark_decided(self, approval_id: str, decision: Decision, *, now: int, nonce_hash: str | None = None) -> None:
        """Mark decided exactly once (conditional write): a replay or a second reviewer gets AlreadyDecided."""
        try:
            self.table.update_item(
                Key={"pk": f"APPROVAL#{approval_id}", "sk": "APPROVAL"},
                UpdateExpression="SET decided = :t, decision = :d, decided_at = :now, decided_nonce_hash = :n",
                ConditionExpression="attribute_exists(pk) AND decided = :f AND expires_at > :now",
                ExpressionAttributeValues={
                    ":t": True,
                    ":f": False,
                    ":d": to_item(decision.model_dump()),
                    ":now": now,
                    ":n": nonce_hash or "",
                },
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            record = self.get(approval_id)
            if record.decided:
                raise ApprovalAlreadyDecided("this selection was already decided") from None
            raise ApprovalExpired("this selection link has expired") from None

    def reopen(self, approval_id: str, *, now: int) -> None:
        """Undo `mark_decided` of this very decision (same decided_at) when the task could not be answered."""
        self.table.update_item(
            Key={"pk": f"APPROVAL#{approval_id}", "sk": "APPROVAL"},
            UpdateExpression="SET decided = :f REMOVE decision, decided_at, decided_nonce_hash",
            ConditionExpression="decided = :t AND decided_at = :now",
            ExpressionAttributeValues={":t": True, ":f": False, ":now": now},
        )

    def retoken(self, run_id: str, task_token: str) -> ApprovalRecord | None:
        """Point a run's undecided approval at a new task token (the local engine resumed the run's waiting task),
        so the link the reviewer already has answers the resumed run. None when nothing is undecided."""
        record = self.pending_for_run(run_id)
        if record is None:
            return None
        try:
            self.table.update_item(
                Key={"pk": f"APPROVAL#{record.approval_id}", "sk": "APPROVAL"},
                UpdateExpression="SET task_token = :token",
                ConditionExpression="attribute_exists(pk) AND decided = :f",
                ExpressionAttributeValues={":token": task_token, ":f": False},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return None  # decided meanwhile: its answer went to the old token, which the resume replays
        return record.model_copy(update={"task_token": task_token})


def new_approval_id() -> str:
    return secrets.token_urlsafe(12)


def decide(
    store: ApprovalStore,
    sfn: Any,
    approval_id: str,
    decision: Decision,
    *,
    now: int | None = None,
    nonce_hash: str | None = None,
) -> ApprovalRecord:
    """Apply a reviewer's decision once: pick -> SendTaskSuccess, regenerate/reject -> SendTaskFailure."""
    now = int(time.time()) if now is None else now
    record = store.get(approval_id)
    if record.decided:
        raise ApprovalAlreadyDecided("this selection was already decided")
    if record.expires_at <= now:
        raise ApprovalExpired("this selection link has expired")
    if decision.action == "pick":
        if decision.index is None or not 1 <= decision.index <= len(record.candidates):
            count = len(record.candidates)
            raise DecisionInvalid(
                f"pick {decision.index}: round {record.round + 1} has {count} candidates; pick 1 to {count}"
            )
    if decision.action == "regenerate" and record.round >= record.max_rounds:
        raise DecisionInvalid(f"no more regeneration rounds (limit {record.max_rounds}); pick one or reject")
    store.mark_decided(approval_id, decision, now=now, nonce_hash=nonce_hash)
    try:
        _answer(sfn, record, decision)
    except ClientError as e:
        if e.response["Error"]["Code"] in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            raise ApprovalExpired("the run stopped waiting for this selection (it timed out or was stopped)") from None
        # the task was not answered: reopen the approval so the reviewer can simply try again
        store.reopen(approval_id, now=now)
        raise
    return record


def _answer(sfn: Any, record: ApprovalRecord, decision: Decision) -> None:
    if decision.action == "pick":
        assert decision.index is not None
        selection = Selection(
            candidate=record.candidates[decision.index - 1],
            motion_prompt=(decision.motion_prompt or record.motion_prompt).strip() or record.motion_prompt,
            decided_by=decision.decided_by,
        )
        sfn.send_task_success(taskToken=record.task_token, output=json.dumps(selection.model_dump(mode="json")))
    elif decision.action == "regenerate":
        # an edited image prompt rides with the feedback (prompts.encode_feedback): the cause is all that travels
        cause = encode_feedback(decision.feedback[:500], decision.image_prompt) or "regenerate"
        sfn.send_task_failure(taskToken=record.task_token, error="Regenerate", cause=cause)
    else:
        sfn.send_task_failure(
            taskToken=record.task_token, error="Rejected", cause=decision.feedback[:500] or "rejected"
        )
