"""`nova-reel`: Amazon Nova Reel image-to-video on Bedrock (`start_async_invoke`, polled with `get_async_invoke`).

Nova Reel reached end of life on 2026-09-30: preflight (`ready`, GetFoundationModel) stops a run that names it
with ModelRetired before anything is paid for, and a chain moves on. `luma_ray.LumaRayVideo` (Bedrock's current
video model) shares this class's submission, idempotency and polling; only the model input differs.

Bedrock writes the clip straight into the artifacts bucket (`runs/<id>/video/nova-reel-<attempt>/<invocation>/
output.mp4`), so copy-out is a copy inside S3. Submission is idempotent by construction: the
`clientRequestToken` is derived from the run and the attempt, so a retried create returns the same
invocation (or, on a ConflictException, the invocation is found again by its token) instead of a second one.

Nova Reel makes 6-second 1280x720 clips at 24 fps, from a 1280x720 first frame and a text prompt of up to
512 characters; other brief ratios are reframed by the effects step. There is no cancel API: a cancelled
run leaves the invocation to finish (and bill) on its own, which is logged.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from hookforge.errors import (
    ProviderError,
    ProviderUnavailable,
)
from hookforge.observability import logger
from hookforge.providers.base import ProviderContext, VideoRequest, VideoStatus, VideoTask
from hookforge.providers.bedrock_errors import bedrock_error
from hookforge.providers.bedrock_models import check_lifecycle
from hookforge.providers.runway import prepare_image, trim_prompt
from hookforge.storage import run_key

MODEL_ID = "amazon.nova-reel-v1:1"
SECONDS = 6
DIMENSION = "1280x720"
FPS = 24
PROMPT_LIMIT = 512
#: on-demand price per second of 720p video (us-east-1, 2026-11)
USD_PER_SECOND = 0.08
#: a 6-second clip usually takes about 90 s
EXPECTED_SECONDS = 90.0

_STATUS = {"InProgress": "RUNNING", "Completed": "SUCCEEDED", "Failed": "FAILED"}


def request_token(run_id: str, attempt: int) -> str:
    """The idempotency token of one attempt: the same run and attempt always make the same token."""
    return hashlib.sha256(f"hookforge:{run_id}:{attempt}".encode()).hexdigest()[:64]


class NovaReelVideo:
    """Amazon Nova Reel through the bedrock-runtime client (injected as ctx.clients["bedrock-runtime"])."""

    name = "nova-reel"
    label = "Nova Reel"
    model_id = MODEL_ID
    expected_seconds = EXPECTED_SECONDS
    usd_per_second = USD_PER_SECOND

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def ready(self) -> None:
        """Preflight: the model is ACTIVE on Bedrock (ModelRetired otherwise); nothing is started."""
        check_lifecycle(self.ctx.client("bedrock"), self.model_id)

    def estimate_usd(self, *, duration: int, model: str | None = None, audio: bool = False) -> float:
        """List price of one clip (Bedrock on-demand, per second of output)."""
        return round(self.clip_seconds(duration) * self.usd_per_second, 2)

    def clip_seconds(self, duration: int) -> int:
        return SECONDS

    def model_input(self, request: VideoRequest) -> dict[str, Any]:
        """The StartAsyncInvoke `modelInput` for `request`."""
        image = prepare_image(request.image, DIMENSION.replace("x", ":"))
        params: dict[str, Any] = {"durationSeconds": SECONDS, "fps": FPS, "dimension": DIMENSION}
        if request.seed is not None:
            params["seed"] = request.seed
        return {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": {
                "text": trim_prompt(request.prompt, limit=PROMPT_LIMIT) or "subtle cinematic motion",
                "images": [{"format": "jpeg", "source": {"bytes": base64.b64encode(image).decode("ascii")}}],
            },
            "videoGenerationConfig": params,
        }

    @property
    def bedrock(self) -> Any:
        """The bedrock-runtime client (the local engine's deps refuse it with a ConfigError: moto has no Bedrock)."""
        return self.ctx.client("bedrock-runtime")

    def submit(self, request: VideoRequest) -> VideoTask:
        bedrock = self.bedrock  # before any work: a stage without Bedrock fails here, and a chain moves on
        model_input = self.model_input(request)
        prefix = run_key(request.run_id, "video", f"{self.name}-{request.attempt}")
        token = request_token(request.run_id, request.attempt)
        try:
            answer = bedrock.start_async_invoke(
                modelId=self.model_id,
                modelInput=model_input,
                outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{self.ctx.store.bucket}/{prefix}"}},
                clientRequestToken=token,
            )
            arn = str(answer["invocationArn"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConflictException":
                raise self._mapped(e, "start") from e
            found = self._find(token)
            if found is None:
                raise self._mapped(e, "start") from e
            arn = found
        logger.info("bedrock video invocation started", extra={"invocation": arn.rsplit("/", 1)[-1]})
        return VideoTask(
            task_id=arn,
            model=self.model_id,
            expected_seconds=self.expected_seconds,
            seconds=self.clip_seconds(request.duration),
            cost_usd=self.estimate_usd(duration=request.duration),
        )

    def _find(self, token: str) -> str | None:
        """The invocation started with `token` in the last day (after a lost answer or a conflict)."""
        since = datetime.now(UTC) - timedelta(days=1)
        kwargs: dict[str, Any] = {"submitTimeAfter": since, "maxResults": 100}
        while True:
            try:
                page = self.bedrock.list_async_invokes(**kwargs)
            except ClientError as e:  # e.g. no bedrock:ListAsyncInvokes permission: report the conflict instead
                logger.warning(
                    "nova reel invocations could not be listed", extra={"error": e.response["Error"]["Code"]}
                )
                return None
            for summary in page.get("asyncInvokeSummaries", []):
                if summary.get("clientRequestToken") == token:
                    return str(summary["invocationArn"])
            if not page.get("nextToken"):
                return None
            kwargs["nextToken"] = page["nextToken"]

    def poll(self, task_id: str) -> VideoStatus:
        try:
            answer = self.bedrock.get_async_invoke(invocationArn=task_id)
        except ClientError as e:
            raise self._mapped(e, "poll") from e
        except BotoCoreError as e:
            raise ProviderUnavailable(f"Bedrock could not be reached ({type(e).__name__})") from e
        status = _STATUS.get(answer.get("status", ""), "RUNNING")
        if status == "SUCCEEDED":
            uri = answer["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].rstrip("/")
            bucket, _, prefix = uri.removeprefix("s3://").partition("/")
            if bucket != self.ctx.store.bucket:
                raise ProviderError(f"{self.label} wrote to bucket {bucket!r}, not the artifacts bucket")
            return VideoStatus(
                status="SUCCEEDED",
                progress=1.0,
                output_key=f"{prefix}/{task_id.rsplit('/', 1)[-1]}/output.mp4",
            )
        if status == "FAILED":
            message = str(answer.get("failureMessage") or "no reason given")
            lowered = message.lower()
            if "content" in lowered and ("filter" in lowered or "policy" in lowered or "moderation" in lowered):
                code = f"SAFETY.{self.code}"
            elif "internal" in lowered:
                code = f"INTERNAL.{self.code}"
            else:
                code = f"{self.code}.FAILED"
            return VideoStatus(status="FAILED", failure=message, failure_code=code)
        return VideoStatus(status="RUNNING")

    def cancel(self, task_id: str) -> None:
        """Bedrock has no API to stop an async invocation: it finishes on its own."""
        logger.warning(
            "bedrock video invocations cannot be cancelled", extra={"invocation": task_id.rsplit("/", 1)[-1]}
        )

    @property
    def code(self) -> str:
        return self.name.upper().replace("-", "_")

    def _mapped(self, e: ClientError, what: str) -> ProviderError:
        return bedrock_error(
            e,
            model=self.label,
            action=what,
            permissions=f"bedrock:StartAsyncInvoke/GetAsyncInvoke on {self.model_id}",
        )
