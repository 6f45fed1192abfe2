"""Which Bedrock models hookforge calls, and whether Bedrock still serves them (checked before any paid call).

Nova Canvas (`amazon.nova-canvas-v1:0`) and Nova Reel (`amazon.nova-reel-v1:0/1`) reached end of life on
2026-09-30 (Bedrock model cards; requests fail after EOL). The defaults are now Stability AI's Stable Image Core
(`stability.stable-image-core-v1:1`, InvokeModel, text to image) and Luma AI Ray 2 (`luma.ray-v2:0`,
StartAsyncInvoke, image/text to video; Bedrock model card "Ray2", lifecycle Active). Model ids are configuration
(`BEDROCK_IMAGE_MODEL`, `BEDROCK_VIDEO_MODEL`, or `images.model` in a brief), never only these.

`check_lifecycle` asks the control plane (`bedrock:GetFoundationModel`): `modelDetails.modelLifecycle.status`
is ACTIVE, LEGACY or EOL. Anything but ACTIVE is `ModelRetired`, naming the model and where its successor is
listed; a model Bedrock does not know in the region is `ModelRetired` too.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from hookforge.errors import ModelRetired, ProviderAuthError, ProviderUnavailable

DEFAULT_IMAGE_MODEL = "stability.stable-image-core-v1:1"
DEFAULT_VIDEO_MODEL = "luma.ray-v2:0"
#: retired on 2026-09-30: named here so the error says so without asking Bedrock
RETIRED = {"amazon.nova-canvas-v1:0", "amazon.nova-reel-v1:0", "amazon.nova-reel-v1:1"}
LIFECYCLE_DOCS = "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html"


def check_lifecycle(bedrock: Any, model_id: str) -> str:
    """'ACTIVE' for a model Bedrock serves; ModelRetired (LEGACY, EOL or unknown) otherwise.

    `bedrock` is the control-plane client (`bedrock`, not `bedrock-runtime`)."""
    try:
        answer = bedrock.get_foundation_model(modelIdentifier=model_id)
    except ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in ("ResourceNotFoundException", "ValidationException"):
            raise ModelRetired(
                f"Bedrock does not serve {model_id} in this region ({code}); it may be past its end of life. "
                f"Set a current model id (see {LIFECYCLE_DOCS})"
            ) from e
        if code in ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"):
            raise ProviderAuthError(
                f"Bedrock refused to describe {model_id} ({code}); allow bedrock:GetFoundationModel and enable "
                "model access in the Bedrock console"
            ) from e
        raise ProviderUnavailable(f"Bedrock could not describe {model_id} ({code}); try again later") from e
    except BotoCoreError as e:
        raise ProviderUnavailable(f"Bedrock could not be reached ({type(e).__name__})") from e
    details = answer.get("modelDetails") or {}
    status = str((details.get("modelLifecycle") or {}).get("status") or "")
    if status != "ACTIVE":
        raise ModelRetired(
            f"Bedrock model {model_id} is {status or 'of unknown status'}, not ACTIVE: LEGACY models refuse new "
            f"customers and EOL models fail. Set its successor's model id (the model card's lifecycle section, "
            f"{LIFECYCLE_DOCS})"
        )
    return status
