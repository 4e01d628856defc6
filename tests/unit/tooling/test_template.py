"""tooling/winback_dev/template.py: AWS::LanguageExtensions expanded offline, as CloudFormation does it."""

from __future__ import annotations

from typing import Any

import pytest

from winback_dev.template import (
    MissingParameter,
    TemplateError,
    deployed,
    evaluate_conditions,
    expand_language_extensions,
    load_yaml,
)

_LOOPS = """
Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Retention: {Type: Number, Default: 30}
Conditions:
  HasEmail: !Not [!Equals [!Ref Email, ""]]
Mappings:
  Folders:
    Ingest: {Folder: ingest}
    Send: {Folder: send}
Resources:
  IngestQueue: {Type: AWS::SQS::Queue}
  SendQueue: {Type: AWS::SQS::Queue}
  Fn::ForEach::Each:
    - Name
    - [Ingest, Send]
    - ${Name}Group:
        Type: AWS::Logs::LogGroup
        Properties:
          LogGroupName: !Sub
            - /app/${AWS::StackName}/${Folder}
            - Folder: !FindInMap [Folders, !Ref Name, Folder]
          RetentionInDays: !Ref Retention
      ${Name}Alarm:
        Type: AWS::CloudWatch::Alarm
        Properties:
          AlarmDescription: !Sub "${Name} is failing"
          Queue: {Ref: !Sub "${Name}Queue"}
          QueueName: !GetAtt [!Sub "${Name}Queue", QueueName]
"""


def _expanded(text: str) -> dict[str, Any]:
    template: dict[str, Any] = load_yaml(text)
    return expand_language_extensions(template)


def test_a_loop_writes_its_fragment_once_per_name() -> None:
    resources = _expanded(_LOOPS)["Resources"]
    assert set(resources) == {"IngestQueue", "SendQueue", "IngestGroup", "SendGroup", "IngestAlarm", "SendAlarm"}
    assert resources["SendGroup"]["Properties"] == {
        "LogGroupName": {"Fn::Sub": ["/app/${AWS::StackName}/${Folder}", {"Folder": "send"}]},
        "RetentionInDays": {"Ref": "Retention"},  # a parameter stays a reference: its value is the deployer's
    }
    assert resources["SendAlarm"]["Properties"] == {
        "AlarmDescription": "Send is failing",
        "Queue": {"Ref": "SendQueue"},
        "QueueName": {"Fn::GetAtt": ["SendQueue", "QueueName"]},
    }


def test_the_expanded_template_keeps_only_the_sam_transform_and_its_conditions_as_written() -> None:
    expanded = _expanded(_LOOPS)
    assert expanded["Transform"] == "AWS::Serverless-2016-10-31"
    assert expanded["Conditions"] == {"HasEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Email"}, ""]}]}}


def test_a_template_without_the_transform_is_returned_as_it_is() -> None:
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    assert expand_language_extensions(template) is template


@pytest.mark.parametrize(
    "collection",
    ["!Ref QueueNames", "[]", "[Ingest, [Send]]"],
    ids=["a parameter's list", "empty", "not a name"],
)
def test_a_loop_over_anything_but_a_literal_list_of_names_is_refused(collection: str) -> None:
    """Guard: cfn-lint expands a collection it cannot resolve with made-up names, silently."""
    text = f"""
Transform: AWS::LanguageExtensions
Parameters:
  QueueNames: {{Type: CommaDelimitedList, Default: "Ingest,Send"}}
Resources:
  Fn::ForEach::Queues:
    - Name
    - {collection}
    - ${{Name}}Queue: {{Type: AWS::SQS::Queue}}
"""
    with pytest.raises(TemplateError, match="Fn::ForEach::Queues"):
        _expanded(text)


def test_a_loop_that_repeats_a_logical_id_is_an_error() -> None:
    text = """
Transform: AWS::LanguageExtensions
Resources:
  IngestQueue: {Type: AWS::SQS::Queue}
  Fn::ForEach::Queues:
    - Name
    - [Ingest]
    - ${Name}Queue: {Type: AWS::SQS::Queue}
"""
    with pytest.raises(TemplateError, match="IngestQueue"):
        _expanded(text)


_CONDITIONS = """
Parameters:
  Reserved: {Type: Number, Default: 0}
  Logs: {Type: String, Default: none, AllowedValues: [none, create, existing]}
  Email: {Type: String}
Conditions:
  Reserve: !Not [!Equals [!Ref Reserved, 0]]
  LogsOn: !Not [!Equals [!Ref Logs, none]]
  CreateLogs: !And [!Condition LogsOn, !Equals [!Ref Logs, create]]
  Either: !Or [!Condition Reserve, !Condition CreateLogs]
  HasEmail: !Not [!Equals [!Ref Email, none]]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      ReservedConcurrentExecutions: !If [Reserve, !Ref Reserved, !Ref AWS::NoValue]
      Layers: [!If [Reserve, layer-a, !Ref AWS::NoValue], layer-b]
  Group:
    Type: AWS::Logs::LogGroup
    Condition: CreateLogs
Outputs:
  GroupName:
    Condition: CreateLogs
    Value: !Ref Group
"""


def test_conditions_are_evaluated_with_the_defaults_and_the_values_given() -> None:
    template = load_yaml(_CONDITIONS)
    assert evaluate_conditions(template, {"Email": "none"}) == {
        "Reserve": False,
        "LogsOn": False,
        "CreateLogs": False,
        "Either": False,
        "HasEmail": False,
    }
    given = evaluate_conditions(template, {"Email": "ops@acmeshop.com", "Reserved": 20, "Logs": "create"})
    assert all(given.values())


def test_a_condition_on_a_parameter_without_a_value_is_an_error() -> None:
    with pytest.raises(MissingParameter, match="Email"):
        evaluate_conditions(load_yaml(_CONDITIONS))


def test_a_deploy_leaves_out_what_its_conditions_exclude_and_picks_each_branch() -> None:
    template = load_yaml(_CONDITIONS)
    by_default = deployed(template, {"Email": "none"})
    assert by_default["Resources"] == {"Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Layers": ["layer-b"]}}}
    assert by_default["Outputs"] == {}
    asked = deployed(template, {"Email": "none", "Reserved": "20", "Logs": "create"})
    assert asked["Resources"]["Fn"]["Properties"] == {
        "ReservedConcurrentExecutions": {"Ref": "Reserved"},
        "Layers": ["layer-a", "layer-b"],
    }
    assert set(asked["Resources"]) == {"Fn", "Group"}
    assert set(asked["Outputs"]) == {"GroupName"}


def test_a_condition_it_cannot_evaluate_offline_is_an_error() -> None:
    template = {"Conditions": {"InUsEast1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}}}
    with pytest.raises(TemplateError, match="AWS::Region"):
        evaluate_conditions(template)
