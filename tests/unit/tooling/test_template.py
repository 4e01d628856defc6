"""tooling/winback_dev/template.py: AWS::LanguageExtensions expanded offline, as CloudFormation does it."""

from __future__ import annotations

from typing import Any

import pytest

from winback_dev.template import TemplateError, expand_language_extensions, load_yaml

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
