"""boto3 sessions that share botocore's parsed models, and the local engine's once-per-process definition check."""

from __future__ import annotations

import json
from pathlib import Path

import botocore.loaders
import pytest
from botocore.exceptions import ClientError

from hookforge.sessions import boto_session


def test_sessions_share_parsed_models_and_keep_their_own_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two sessions made with different credentials
    first = boto_session(aws_access_key_id="AKIAFIRST", aws_secret_access_key="one", region_name="us-east-1")
    second = boto_session(aws_access_key_id="AKIASECOND", aws_secret_access_key="two", region_name="eu-west-1")
    # When each makes a DynamoDB client, counting the model files botocore parses meanwhile
    parsed: list[str] = []
    load = botocore.loaders.JSONFileLoader.load_file

    def counting(self: object, file_path: str) -> object:
        parsed.append(file_path)
        return load(self, file_path)  # type: ignore[arg-type]

    first.client("dynamodb")
    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", counting)
    client = second.client("dynamodb")
    # Then the second session parsed nothing the first had parsed: both read one loader
    assert parsed == []
    assert first._session.get_component("data_loader") is second._session.get_component("data_loader")
    # and each still signs with its own credentials in its own region
    assert first.get_credentials().access_key == "AKIAFIRST"
    assert client._request_signer._credentials.access_key == "AKIASECOND"
    assert client.meta.region_name == "eu-west-1"


def test_the_shared_loader_keeps_each_search_path_once() -> None:
    # Given many sessions (boto3 adds its own models' folder to the loader each time one is made)
    for _ in range(20):
        session = boto_session()
    # Then the loader's search path names each folder once, boto3's resource models among them
    paths = session._session.get_component("data_loader").search_paths
    assert len(paths) == len(set(paths))
    assert any(Path(p).parts[-2:] == ("boto3", "data") for p in paths)
    assert session.resource("dynamodb", region_name="us-east-1").meta.service_name == "dynamodb"


def test_the_engine_checks_a_definition_once_and_still_refuses_a_bad_one(tmp_path: Path) -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    from hookforge.local import LocalEngine
    from hookforge.local import engine as engine_module
    from hookforge.sessions import boto_session

    root = Path(__file__).resolve().parents[2]
    checked: list[str] = []
    original = vars(StepFunctionsParserBackend)["_validate_definition"]
    # Given the pipeline's definition already accepted in this process (the first engine made its state machine)
    with LocalEngine(tmp_path / "a", root=root, time_scale=0.01):
        pass
    bad = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Bogus"}}})
    with LocalEngine(tmp_path / "b", root=root, time_scale=0.01) as engine:
        sfn = boto_session().client("stepfunctions", region_name="us-east-1")
        definition = sfn.describe_state_machine(stateMachineArn=engine.state_machine_arn)["definition"]
        assert engine_module.hashlib.sha256(definition.encode()).hexdigest() in engine_module._VALID_DEFINITIONS
        # When a definition moto's parser refuses is created, twice
        for _ in range(2):
            with pytest.raises(ClientError, match="ASLParserException"):
                sfn.create_state_machine(
                    name=f"bad-{len(checked)}", definition=bad, roleArn="arn:aws:iam::123456789012:role/x"
                )
            checked.append("refused")
    # Then it is refused each time, never remembered as valid
    assert checked == ["refused", "refused"]
    assert engine_module.hashlib.sha256(bad.encode()).hexdigest() not in engine_module._VALID_DEFINITIONS
    # and after the engine, moto's own check is back as it was: a static method
    assert vars(StepFunctionsParserBackend)["_validate_definition"] is original
