"""template.yaml read as CloudFormation reads it, offline: parsed, its language extensions expanded,
and translated from SAM to plain CloudFormation.

At deploy, CloudFormation runs the transforms in the order template.yaml lists them:
AWS::LanguageExtensions (the Fn::ForEach loops and the Fn::FindInMap look-ups they make), then
AWS::Serverless. aws-sam-translator does only the second, so ``sam_template`` does the first with
cfn-lint's implementation, the one `make lint` already checks the template with. cfn-lint expands
for linting: a loop over a list it cannot resolve (a parameter, say) gets made-up names instead of
an error. So this module expands only loops over a literal list of names, and refuses any other.

Dev tooling only: no handler imports this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from samtranslator.yaml_helper import intrinsics_multi_constructor

TEMPLATE_PATH: Path = Path(__file__).resolve().parents[2] / "template.yaml"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
FOR_EACH_PREFIX = "Fn::ForEach::"

_LOCAL_ARTIFACT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
}


class TemplateError(ValueError):
    """template.yaml cannot be read the way CloudFormation would read it."""


@dataclass(frozen=True)
class _Expandable:
    """What cfn-lint's language-extension expander reads of its Template."""

    template: dict[str, Any]
    region: str
    filename: str | None = None

    @property
    def regions(self) -> list[str]:
        return [self.region]


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads !Ref, !Sub, !GetAtt ... as {"Ref": ...} dicts.

    samtranslator's own yaml_parse registers that constructor on yaml.SafeLoader itself, for every
    later yaml.safe_load in the process; a subclass keeps it here.
    """


_CloudFormationLoader.add_multi_constructor("!", intrinsics_multi_constructor)


def load_yaml(text: str) -> Any:
    """CloudFormation YAML as data: short tags (!Ref, !Sub ...) become {"Ref": ...} dicts."""
    return yaml.load(text, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader


def sam_template(path: Path = TEMPLATE_PATH, *, region: str = "us-east-1") -> dict[str, Any]:
    """template.yaml with its Fn::ForEach loops expanded: what the AWS::Serverless transform sees."""
    parsed: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
    return expand_language_extensions(parsed, region=region)


def expand_language_extensions(template: dict[str, Any], *, region: str = "us-east-1") -> dict[str, Any]:
    """The template with AWS::LanguageExtensions applied and removed from its Transform list.

    A template that does not declare the transform is returned as it is. Raises TemplateError for a
    loop over anything but a literal list of names, or for what cfn-lint cannot expand.
    """
    transforms = _transforms(template)
    if LANGUAGE_EXTENSIONS not in transforms:
        return template
    for name, loop in _loops(template):
        _check_loop(name, loop)

    from cfnlint.template.transforms._language_extensions import language_extension

    # cfn-lint's own expander, as its Transform runs it, but without cfn-lint's Template around it:
    # building one rewrites the template in place (it reorders Fn::Equals operands, for one). The
    # module is private to cfn-lint: its pin and tests/unit/tooling/test_template.py hold it to this use.
    problems, result = language_extension(_Expandable(template, region))
    if problems or result is None:
        raise TemplateError("; ".join(str(problem.message) for problem in problems) or "cannot expand")
    expanded: dict[str, Any] = dict(result)
    remaining = [name for name in transforms if name != LANGUAGE_EXTENSIONS]
    if remaining:
        expanded["Transform"] = remaining[0] if len(remaining) == 1 else remaining
    else:
        del expanded["Transform"]
    return expanded


def translate_template(path: Path = TEMPLATE_PATH, *, region: str = "us-east-1") -> dict[str, Any]:
    """SAM -> plain CloudFormation with aws-sam-translator, offline, after the language extensions.

    Mirrors ``samtranslator.translator.transform.transform`` with two offline adjustments: the
    region comes from the argument instead of the ambient boto3 session, and the managed-policy
    map is empty (template.yaml names no managed policies; policy templates need no lookup).
    Local code paths (``CodeUri: functions/x/``) are what ``sam package`` would upload, so they
    are rewritten to placeholder S3 URIs, as cfn-lint does before it runs the transform.
    """
    import boto3
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    sam = sam_template(path, region=region)
    _point_local_artifacts_at_s3(sam)
    parameter_values: dict[str, Any] = {}
    to_py27_compatible_template(sam, parameter_values)
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    session = boto3.session.Session(region_name=region)
    translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
    cfn = translator.translate(sam, parameter_values=parameter_values, get_managed_policy_map=lambda: {})
    metrics.publish()  # to the dummy publisher; otherwise Metrics.__del__ logs a warning
    result: dict[str, Any] = undo_mark_unicode_str_in_template(cfn)
    return result


# --------------------------------------------------------------------------------------------
# What a deploy creates: conditions evaluated with parameter values
# --------------------------------------------------------------------------------------------

NO_VALUE = {"Ref": "AWS::NoValue"}


class MissingParameter(TemplateError):
    """A condition needs a parameter that has neither a value given nor a default."""


def parameter_values(template: dict[str, Any], given: Mapping[str, str | int] | None = None) -> dict[str, str]:
    """The value of each parameter at deploy: the one given, else its default (as text, as
    CloudFormation compares them). A parameter with neither is left out (a deploy would refuse it)."""
    values = {name: str(spec["Default"]) for name, spec in template.get("Parameters", {}).items() if "Default" in spec}
    values.update({name: str(value) for name, value in (given or {}).items()})
    return values


def evaluate_conditions(template: dict[str, Any], given: Mapping[str, str | int] | None = None) -> dict[str, bool]:
    """Every condition of ``template`` as CloudFormation evaluates it with these parameter values.

    Knows Fn::Equals (over literals and parameter references), Fn::Not, Fn::And, Fn::Or and Condition,
    which is all a condition may use besides Fn::FindInMap and pseudo parameters; those raise
    TemplateError rather than guess.
    """
    evaluator = _ConditionEvaluator(template.get("Conditions", {}), parameter_values(template, given))
    return {name: evaluator.condition(name) for name in evaluator.conditions}


@dataclass
class _ConditionEvaluator:
    conditions: dict[str, Any]
    values: dict[str, str]
    done: dict[str, bool] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        if name not in self.done:
            self.done[name] = self.truth(self.conditions[name])
        return self.done[name]

    def truth(self, node: Any) -> bool:
        (function, args), *rest = node.items()
        if rest:
            raise TemplateError(f"a condition is one function, not {sorted(node)}")
        if function == "Condition":
            return self.condition(args)
        if function == "Fn::Equals":
            return self.scalar(args[0]) == self.scalar(args[1])
        if function == "Fn::Not":
            return not self.truth(args[0])
        if function == "Fn::And":
            return all(self.truth(arg) for arg in args)
        if function == "Fn::Or":
            return any(self.truth(arg) for arg in args)
        raise TemplateError(f"cannot evaluate {function} in a condition offline")

    def scalar(self, node: Any) -> str:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            if node["Ref"] not in self.values:
                raise MissingParameter(f"condition needs a value for parameter {node['Ref']}")
            return self.values[node["Ref"]]
        if isinstance(node, bool):
            return str(node).lower()
        if isinstance(node, (str, int, float)):
            return str(node)
        raise TemplateError(f"cannot evaluate {node!r} in a condition offline")


def deployed(template: dict[str, Any], given: Mapping[str, str | int] | None = None) -> dict[str, Any]:
    """The template as a deploy with these parameter values creates it: resources and outputs whose
    condition is false left out, every Fn::If replaced by its chosen branch, AWS::NoValue removed."""
    conditions = evaluate_conditions(template, given)
    out = dict(template)
    for section in ("Resources", "Outputs"):
        kept = {
            name: body
            for name, body in template.get(section, {}).items()
            if conditions.get(body.get("Condition", ""), True)
        }
        out[section] = {name: _choose(body, conditions) for name, body in kept.items()}
    return out


def _choose(node: Any, conditions: dict[str, bool]) -> Any:
    if isinstance(node, list):
        return [item for item in (_choose(each, conditions) for each in node) if item != NO_VALUE]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::If"}:
        name, when_true, when_false = node["Fn::If"]
        return _choose(when_true if conditions[name] else when_false, conditions)
    chosen = {key: _choose(value, conditions) for key, value in node.items()}
    return {key: value for key, value in chosen.items() if value != NO_VALUE}


def _transforms(template: dict[str, Any]) -> list[str]:
    declared = template.get("Transform", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _loops(node: Any) -> Iterator[tuple[str, Any]]:
    """Every Fn::ForEach in ``node`` (nested ones included), as (key, value)."""
    if isinstance(node, list):
        for item in node:
            yield from _loops(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(FOR_EACH_PREFIX):
                yield key, value
            yield from _loops(value)


def _check_loop(name: str, loop: Any) -> None:
    if not (isinstance(loop, list) and len(loop) == 3 and isinstance(loop[0], str) and isinstance(loop[2], dict)):
        raise TemplateError(f"{name}: expected [identifier, [names...], {{fragment}}]")
    collection = loop[1]
    if not isinstance(collection, list) or not collection:
        raise TemplateError(f"{name}: the collection must be a literal list of names to expand it locally")
    if not_names := [item for item in collection if not isinstance(item, str)]:
        raise TemplateError(f"{name}: collection items must be literal names, not {not_names}")


def _point_local_artifacts_at_s3(sam: dict[str, Any]) -> None:
    for resource in sam.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for name in _LOCAL_ARTIFACT_PROPERTIES.get(resource.get("Type", ""), ()):
            value = properties.get(name)
            if isinstance(value, str) and not value.startswith("s3://"):
                properties[name] = f"s3://winback-local-artifacts/{value.strip('/')}"
