"""Read template.yaml (CloudFormation tags included) to learn what the local engine must build."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: libyaml's parser where PyYAML was built with it (its wheels are): the template parses 8x faster than in Python
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_SafeLoader):
    """SafeLoader that turns `!Ref X` / `!GetAtt X.Arn` / `!Sub ...` into their long forms."""


def _cfn_tag(loader: Any, tag_suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    module: str
    handler: str


def functions(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    """Every Lambda of the template -> the Python module and attribute that handle it."""
    out: dict[str, FunctionSpec] = {}
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = res.get("Properties", {})
        if props.get("PackageType") == "Image":
            dockerfile = Path(res["Metadata"]["Dockerfile"])
            folder = dockerfile.parent
            cmd = re.search(r'CMD\s*\[\s*"([\w.]+)"', (dockerfile.read_text() if dockerfile.exists() else ""))
            handler = cmd.group(1) if cmd else "app.lambda_handler"
        else:
            folder = Path(props["CodeUri"])
            handler = props["Handler"]
        module_file, _, attr = handler.rpartition(".")
        module = ".".join([*folder.parts, module_file])
        out[logical_id] = FunctionSpec(logical_id=logical_id, module=module, handler=attr)
    return out


def tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """DynamoDB tables by logical id -> create_table keyword arguments (keys and indexes only)."""
    out: dict[str, dict[str, Any]] = {}
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        props = res["Properties"]
        kwargs: dict[str, Any] = {
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = [
                {k: v for k, v in gsi.items() if k in ("IndexName", "KeySchema", "Projection")}
                for gsi in props["GlobalSecondaryIndexes"]
            ]
        if props.get("StreamSpecification"):
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        out[logical_id] = kwargs
    return out


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """State machines by logical id -> {definition_uri, substitutions: {name: logical id of the function}}."""
    out: dict[str, dict[str, Any]] = {}
    for logical_id, res in template["Resources"].items():
        if res["Type"] != "AWS::Serverless::StateMachine":
            continue
        props = res["Properties"]
        subs: dict[str, str] = {}
        for name, value in props.get("DefinitionSubstitutions", {}).items():
            if isinstance(value, dict) and "Fn::GetAtt" in value:
                subs[name] = value["Fn::GetAtt"][0]
            elif isinstance(value, dict) and "Ref" in value:
                subs[name] = value["Ref"]
            else:
                subs[name] = str(value)
        out[logical_id] = {"definition_uri": props["DefinitionUri"], "substitutions": subs}
    return out
