"""IAM and failure handling in template.yaml: who may read which secret, who may send email as whom, and
that every asynchronously invoked function has somewhere to put what it could not process."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest

from hookforge.local import template as tpl
from hookforge.providers import runway

ROOT = Path(__file__).resolve().parents[2]

PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "hookforge",
    "AWS::URLSuffix": "amazonaws.com",
}
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"
SIGNING_KEY = "hookforge/approval-signing-key"
PROVIDER_KEYS = (
    runway.API_SECRET_NAME,
    "hookforge/providers/openai",
    "hookforge/providers/stability",
    "hookforge/providers/civitai",
)
PROVIDER_FUNCTIONS = {
    "ValidateBriefFunction",  # preflight checks every provider's key before the first paid call
    "FetchInspirationFunction",
    "GenerateImageFunction",
    "SubmitVideoFunction",
    "PollVideoFunction",
}
#: the functions that build `deps.signer`: request_selection signs links, the approval API verifies them
SIGNING_FUNCTIONS = {"RequestSelectionFunction", "ApprovalApiFunction"}

#: SAM event sources Lambda invokes asynchronously, and the poll-based stream sources
ASYNC_EVENTS = {
    "S3",
    "SNS",
    "EventBridgeRule",
    "CloudWatchEvent",
    "Schedule",
    "ScheduleV2",
    "CloudWatchLogs",
    "IoTRule",
}
STREAM_EVENTS = {"DynamoDB", "Kinesis"}
#: SAM policy templates that allow ses:Send* with no condition on the sender
SES_POLICY_TEMPLATES = {
    "SESCrudPolicy",
    "SESBulkTemplatedCrudPolicy",
    "SESBulkTemplatedCrudPolicy_v2",
    "SESEmailTemplateCrudPolicy",
    "SESSendBouncePolicy",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return tpl.load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def _resolve(value: Any, resources: dict[str, Any]) -> str:
    """A Ref / Sub / GetAtt / plain string -> the string it becomes at deploy time (enough to match ARNs)."""
    if isinstance(value, str):
        return value

    def ref(name: str) -> str:
        if name in PSEUDO:
            return PSEUDO[name]
        resource = resources.get(name, {})
        if resource.get("Type") == "AWS::SecretsManager::Secret":  # Ref of a secret is its ARN
            return SECRET_ARN.format(name=resource["Properties"]["Name"])
        return f"<{name}>"

    if "Ref" in value:
        return ref(value["Ref"])
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return re.sub(r"\$\{([^}!]+)\}", lambda m: ref(m.group(1)), text)
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    raise AssertionError(f"cannot resolve {value!r}")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Inline statements of a function's or state machine's Policies (SAM templates are checked apart)."""
    out: list[dict[str, Any]] = []
    for policy in _listed(resource.get("Properties", {}).get("Policies", [])):
        if isinstance(policy, dict) and "Statement" in policy:
            out.extend(_listed(policy["Statement"]))
    return out


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement.get("Action", [])))


def _can_read_secret(resource: dict[str, Any], secret_name: str, resources: dict[str, Any]) -> bool:
    arn = SECRET_ARN.format(name=secret_name)
    for policy in _listed(resource.get("Properties", {}).get("Policies", [])):
        if isinstance(policy, str) and "secretsmanager" in policy.lower():
            return True  # a managed policy such as SecretsManagerReadWrite reads every secret
        if isinstance(policy, dict) and "AWSSecretsManagerGetSecretValuePolicy" in policy:
            target = _resolve(policy["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"], resources)
            if fnmatch.fnmatchcase(arn, target):
                return True
    for statement in _statements(resource):
        if statement.get("Effect") != "Allow" or not _action_matches(statement, "secretsmanager:GetSecretValue"):
            continue
        if any(fnmatch.fnmatchcase(arn, _resolve(r, resources)) for r in _listed(statement["Resource"])):
            return True
    return False


def _principals(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    kinds = {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}
    return {name: r for name, r in resources.items() if r["Type"] in kinds}


def test_template_declares_no_raw_iam_that_these_checks_would_miss(resources: dict[str, Any]) -> None:
    assert not [name for name, r in resources.items() if r["Type"].startswith("AWS::IAM::")]


def test_only_the_signing_functions_can_read_the_approval_signing_key(resources: dict[str, Any]) -> None:
    assert resources["ApprovalSigningSecret"]["Properties"]["Name"] == SIGNING_KEY
    readers = {n for n, r in _principals(resources).items() if _can_read_secret(r, SIGNING_KEY, resources)}
    assert readers == SIGNING_FUNCTIONS
    assert not readers & PROVIDER_FUNCTIONS


def test_provider_functions_read_provider_keys_only(resources: dict[str, Any]) -> None:
    principals = _principals(resources)
    for name in PROVIDER_FUNCTIONS:
        for key in PROVIDER_KEYS:
            assert _can_read_secret(principals[name], key, resources), f"{name} cannot read {key}"
        # nothing else under hookforge/ (a future secret beside the signing key stays out of reach)
        assert not _can_read_secret(principals[name], "hookforge/some-other-secret", resources), name
    for name, resource in principals.items():
        if name not in PROVIDER_FUNCTIONS:
            assert not any(_can_read_secret(resource, key, resources) for key in PROVIDER_KEYS), name


def test_provider_secret_names_live_under_the_providers_prefix() -> None:
    assert all(key.startswith("hookforge/providers/") for key in PROVIDER_KEYS)
    sources = (ROOT / "layers" / "hookforge" / "hookforge" / "providers").glob("*.py")
    for path in sources:
        for name in re.findall(r"hookforge/[a-z0-9_./-]+", path.read_text()):
            assert name.startswith("hookforge/providers/"), f"{path.name}: {name}"


def test_every_ses_send_is_bound_to_the_configured_sender(resources: dict[str, Any]) -> None:
    senders = set()
    for name, resource in _principals(resources).items():
        for policy in _listed(resource.get("Properties", {}).get("Policies", [])):
            if isinstance(policy, dict):
                assert not SES_POLICY_TEMPLATES & policy.keys(), f"{name}: SES template without a sender condition"
            else:
                assert "ses" not in str(policy).lower(), f"{name}: managed SES policy {policy}"
        for statement in _statements(resource):
            if statement.get("Effect") != "Allow":
                continue
            actions = [str(a).lower() for a in _listed(statement.get("Action", []))]
            if not any(a.startswith("ses:send") or a in ("ses:*", "*") for a in actions):
                continue
            condition = statement.get("Condition", {}).get("StringEquals", {})
            assert condition.get("ses:FromAddress") == {"Ref": "SenderEmail"}, f"{name}: {statement.get('Sid')}"
            senders.add(name)
    # the functions that email someone can still do so
    assert {"RequestSelectionFunction", "NotifyDoneFunction", "RecordFailureFunction", "StartRunFunction"} <= senders


def _queue_of(target: Any, resources: dict[str, Any]) -> str:
    assert isinstance(target, dict) and "Fn::GetAtt" in target, target
    queue, attribute = target["Fn::GetAtt"]
    assert attribute == "Arn"
    props = resources[queue]
    assert props["Type"] == "AWS::SQS::Queue", queue
    encryption = props.get("Properties", {})
    assert encryption.get("KmsMasterKeyId") or encryption.get("SqsManagedSseEnabled"), f"{queue} is not encrypted"
    return str(queue)


def _alarmed_queues(resources: dict[str, Any]) -> set[str]:
    out = set()
    for resource in resources.values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        if props.get("Namespace") != "AWS/SQS" or props.get("MetricName") != "ApproximateNumberOfMessagesVisible":
            continue
        assert props["ComparisonOperator"] == "GreaterThanThreshold" and props["Threshold"] == 0
        for dimension in props.get("Dimensions", []):
            value = dimension["Value"]
            if dimension["Name"] == "QueueName" and isinstance(value, dict) and "Fn::GetAtt" in value:
                out.add(value["Fn::GetAtt"][0])
    return out


def test_every_asynchronously_invoked_function_has_an_alarmed_dead_letter_queue(resources: dict[str, Any]) -> None:
    alarmed = _alarmed_queues(resources)
    checked = set()
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event_name, event in props.get("Events", {}).items():
            where = f"{name}.{event_name}"
            if event["Type"] in ASYNC_EVENTS:
                dlq = props.get("DeadLetterQueue")
                on_failure = props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
                assert dlq or on_failure, f"{where}: asynchronous with no DLQ or on-failure destination"
                if dlq:
                    assert dlq["Type"] == "SQS", where
                    queue = _queue_of(dlq["TargetArn"], resources)
                else:
                    assert on_failure["Type"] == "SQS", where
                    queue = _queue_of(on_failure["Destination"], resources)
            elif event["Type"] in STREAM_EVENTS:
                source = event["Properties"]
                on_failure = source.get("DestinationConfig", {}).get("OnFailure")
                assert on_failure and on_failure["Type"] == "SQS", f"{where}: stream with no on-failure destination"
                queue = _queue_of(on_failure["Destination"], resources)
                assert source.get("BisectBatchOnFunctionError") is True, where
                assert 0 <= source.get("MaximumRetryAttempts", -1) <= 10, f"{where}: retries unbounded"
                assert 60 <= source.get("MaximumRecordAgeInSeconds", -1) <= 86400, f"{where}: record age unbounded"
            else:
                continue
            assert queue in alarmed, f"{where}: no alarm on {queue}'s visible messages"
            checked.add(name)
    assert {"StartRunFunction", "ReportImportFunction", "MetricsStreamFunction"} <= checked


def test_every_queue_has_an_alarm(resources: dict[str, Any]) -> None:
    queues = {name for name, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    assert queues and queues <= _alarmed_queues(resources)


AD_PLATFORM_TOKENS = ("hookforge/ad-platforms/meta", "hookforge/ad-platforms/tiktok")


#: who may read an ad-platform token: the daily sync (both) and the launch after a run (Meta's only)
AD_TOKEN_READERS = {"MetricsSyncFunction": AD_PLATFORM_TOKENS, "LaunchHookFunction": ("hookforge/ad-platforms/meta",)}
#: near misses of the token names that no reader's ARN pattern may match
NEAR_MISSES = ("hookforge/ad-platforms/meta-ads-extra", "hookforge/ad-platforms/metax", "hookforge/ad-platforms/other")


def test_only_the_metrics_sync_and_the_launch_read_the_ad_platform_tokens_and_nothing_else(
    resources: dict[str, Any],
) -> None:
    # ad-account tokens can spend money: they live outside hookforge/providers/*, which the functions that
    # handle untrusted briefs may read
    from hookforge.metrics.sync import meta, tiktok

    assert (meta.SECRET_NAME, tiktok.SECRET_NAME) == AD_PLATFORM_TOKENS
    readers = {
        name
        for name, r in _principals(resources).items()
        if any(_can_read_secret(r, key, resources) for key in AD_PLATFORM_TOKENS)
    }
    # Then exactly the sync and the launch read them, each exactly the tokens it needs and no other secret
    assert readers == set(AD_TOKEN_READERS)
    assert not readers & PROVIDER_FUNCTIONS and not readers & SIGNING_FUNCTIONS
    for name, tokens in AD_TOKEN_READERS.items():
        reader = resources[name]
        assert all(_can_read_secret(reader, key, resources) for key in tokens), name
        others = (*(t for t in AD_PLATFORM_TOKENS if t not in tokens), *PROVIDER_KEYS, SIGNING_KEY, *NEAR_MISSES)
        for other in others:
            assert not _can_read_secret(reader, other, resources), (name, other)


def test_validate_brief_may_only_check_that_the_meta_token_exists_never_read_it(resources: dict[str, Any]) -> None:
    # Given ValidateBrief, which handles untrusted briefs and runs the preflight of a brief's `launch`
    validate = resources["ValidateBriefFunction"]
    # Then it reads no ad-platform token
    assert not any(_can_read_secret(validate, key, resources) for key in (*AD_PLATFORM_TOKENS, *NEAR_MISSES))
    # and its only grant on them is DescribeSecret of the Meta token's secret (metadata, never the value)
    arn = SECRET_ARN.format(name="hookforge/ad-platforms/meta")
    on_tokens = [
        s
        for s in _statements(validate)
        if any("ad-platforms" in _resolve(r, resources) for r in _listed(s.get("Resource", [])))
    ]
    assert [(s["Effect"], _listed(s["Action"])) for s in on_tokens] == [("Allow", ["secretsmanager:DescribeSecret"])]
    (statement,) = on_tokens
    resolved = [_resolve(r, resources) for r in _listed(statement["Resource"])]
    assert any(fnmatch.fnmatchcase(arn, r) for r in resolved)
    for other in ("hookforge/ad-platforms/tiktok", *NEAR_MISSES):
        assert not any(fnmatch.fnmatchcase(SECRET_ARN.format(name=other), r) for r in resolved), other
    # and no other function of the template holds DescribeSecret on them either
    for name, resource in _principals(resources).items():
        if name == "ValidateBriefFunction":
            continue
        for s in _statements(resource):
            if _action_matches(s, "secretsmanager:DescribeSecret") and not _action_matches(
                s, "secretsmanager:GetSecretValue"
            ):
                assert not any("ad-platforms" in _resolve(r, resources) for r in _listed(s["Resource"])), name


def test_the_launch_function_reads_the_hook_and_writes_only_the_metrics_and_runs_tables(
    resources: dict[str, Any],
) -> None:
    props = resources["LaunchHookFunction"]["Properties"]
    templates = [next(iter(p)) for p in props["Policies"] if isinstance(p, dict) and "Statement" not in p]
    # read-only on the bucket (the rendered videos and poster); the hook's launch ids and the run's outcome
    assert sorted(templates) == ["DynamoDBCrudPolicy", "DynamoDBCrudPolicy", "S3ReadPolicy"]
    tables = {p["DynamoDBCrudPolicy"]["TableName"]["Ref"] for p in props["Policies"] if "DynamoDBCrudPolicy" in p}
    assert tables == {"MetricsTable", "RunsTable"}
    assert props["Environment"]["Variables"]["META_AD_ACCOUNT_ID"] == {"Ref": "MetaAdAccountId"}
    assert (ROOT / "functions" / "launch_hook" / "app.py").is_file()


def test_the_metrics_sync_runs_daily_from_eventbridge_scheduler(resources: dict[str, Any]) -> None:
    props = resources["MetricsSyncFunction"]["Properties"]
    (event,) = props["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", event["Properties"]["ScheduleExpression"])
    assert props["Environment"]["Variables"]["META_AD_ACCOUNT_ID"] == {"Ref": "MetaAdAccountId"}
    assert (ROOT / "functions" / "metrics_sync" / "app.py").is_file()
