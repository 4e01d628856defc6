"""Message content: jinja2 templates shipped with the layer, one folder per template and locale.

`templates/<template>/<locale>/` holds `subject.txt`, `email.html`, `email.txt`, `sms.txt` and
`push.txt`; an email extends its locale's layout (`templates/_layout/<locale>/email.html` and
`email.txt`: greeting, recommendations, footer). The environment is sandboxed and autoescapes HTML;
a variable a template or its layout uses but the sender does not provide is an error when the
program loads, never a blank in a customer's inbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, meta, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from winback.content import locales
from winback.content.locales import LAYOUT_DIR, available_locales, sms_opt_out

# What every template may use; those that do not apply to a message are None (never missing).
# coupon: {code, amount, expires} · recommendations: [{item_id, category, url}] ·
# reason_urls: {need_changed, bad_experience, competitor, forgot, too_many_messages, privacy} ·
# preferences_url: the signed preference page (every email's footer)
VARIABLES = frozenset(
    {
        "name",
        "brand",
        "cta_url",
        "unsubscribe_url",
        "preferences_url",
        "campaign_id",
        "coupon",
        "recommendations",
        "reason_urls",
    }
)
FILES: dict[str, tuple[str, ...]] = {
    "email": ("subject.txt", "email.html", "email.txt"),
    "sms": ("sms.txt",),
    "push": ("push.txt",),
    "inbox": ("subject.txt", "push.txt"),  # title and body of the in-app message
}


class TemplateProblem(ValueError):
    """A template is missing or uses a variable the sender does not provide."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


@cache
def _environment() -> SandboxedEnvironment:
    # `locales.TEMPLATE_ROOT` is read here, not imported: a test or tool may point it at another tree.
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(locales.TEMPLATE_ROOT)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


@cache
def shipped_templates() -> frozenset[str]:
    """The templates shipped with the layer (one folder each; the layouts are none)."""
    return frozenset(p.name for p in locales.TEMPLATE_ROOT.iterdir() if p.is_dir() and p.name != LAYOUT_DIR)


def _variables_by_file(env: Environment, name: str) -> dict[str, frozenset[str]]:
    """The variables `name` and every template it extends, includes or imports refer to, by file.

    Raises TemplateNotFound for a missing file and TemplateProblem for a reference by a computed
    name, which no load-time check could follow."""
    assert env.loader is not None
    found: dict[str, frozenset[str]] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        tree = env.parse(env.loader.get_source(env, current)[0])
        found[current] = frozenset(meta.find_undeclared_variables(tree))
        for reference in meta.find_referenced_templates(tree):
            if reference is None:
                raise TemplateProblem(f"template {current} refers to a template by a computed name")
            pending.append(reference)
    return found


@cache
def used_variables(template: str, channel: str, locale: str) -> frozenset[str]:
    """The variables the channel's files of `template` and their layouts refer to: the sender computes
    only these (recommendations may be a call to Amazon Personalize; an SMS never shows them)."""
    env = _environment()
    used: set[str] = set()
    for filename in FILES[channel]:
        for names in _variables_by_file(env, f"{template}/{locale}/{filename}").values():
            used |= names
    return frozenset(used)


def check_templates(owner: str, templates: Iterable[str], channels: Iterable[str]) -> None:
    """Each of `templates` exists for each of `channels` in every locale and needs only known variables,
    its layout included; `owner` (a campaign) names the user of the templates in the error."""
    env = _environment()
    channels = tuple(channels)
    for template in sorted(templates):
        for channel in channels:
            for locale in available_locales():
                for filename in FILES[channel]:
                    _check_file(env, owner, f"{template}/{locale}/{filename}")


def _check_file(env: Environment, owner: str, name: str) -> None:
    try:
        by_file = _variables_by_file(env, name)
    except TemplateNotFound as exc:
        raise TemplateProblem(f"{owner}: missing template {exc.name}") from exc
    for current, names in sorted(by_file.items()):
        unknown = names - VARIABLES
        if unknown:
            used_by = "" if current == name else f" (used by {name})"
            raise TemplateProblem(f"template {current}{used_by} uses unknown variables {sorted(unknown)}")


def check_locale_texts() -> None:
    """Every locale folder holds the texts the sender reads from it."""
    missing = locales.missing_texts()
    if missing:
        raise TemplateProblem(f"missing locale texts {missing}")


def render(template: str, channel: str, locale: str, variables: Mapping[str, object]) -> Rendered:
    env = _environment()

    def one(filename: str) -> str:
        return env.get_template(f"{template}/{locale}/{filename}").render(**variables).strip()

    missing = VARIABLES - set(variables)
    if missing:
        raise TemplateProblem(f"render of {template} lacks variables {sorted(missing)}")

    if channel == "email":
        return Rendered(subject=one("subject.txt"), html=one("email.html"), text=one("email.txt"))
    if channel == "sms":
        return Rendered(subject="", html="", text=f"{one('sms.txt')} {sms_opt_out(locale)}")
    if channel == "inbox":
        return Rendered(subject=one("subject.txt"), html="", text=one("push.txt"))
    return Rendered(subject="", html="", text=one("push.txt"))
