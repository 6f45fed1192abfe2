"""StepError reads every `{Error, Cause}` shape Step Functions puts at a Catch's ResultPath."""

from __future__ import annotations

from hookforge.models import RecordFailureInput, StepError


def test_step_error_accepts_null_cause_when_task_failure_had_none() -> None:
    # Given a SendTaskFailure answered without a cause (moto reports it as null)
    event = {"run_id": "run-1", "error": {"Error": "Rejected", "Cause": None}}
    # When RecordFailure validates its input
    parsed = RecordFailureInput.model_validate(event)
    # Then the error is kept and its message is empty rather than a validation failure
    assert (parsed.error.error, parsed.error.message()) == ("Rejected", "")


def test_step_error_message_reads_lambda_error_message() -> None:
    error = StepError.model_validate({"Error": "ContentRejected", "Cause": '{"errorMessage": "refused"}'})
    assert error.message() == "refused"
