"""Message content: jinja2 templates shipped with the layer, one folder per template and locale.

`templates/<template>/<locale>/` holds `subject.txt`, `email.html`, `email.txt`, `sms.txt` and
`push.txt`. The environment is sandboxed and autoescapes HTML; a variable a template uses but the
sender does not provide is an error when the program loads, never a blank in a customer's inbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from jinja2 import FileSystemLoader, StrictUndefined, meta, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from winback.content.locales import LAYOUT_DIR, TEMPLATE_ROOT, available_locales

# What every template may use; those that do not apply to a message are None (never missing).
# coupon: {code, amount, expires} · recommendations: [{item_id, category, url}] ·
# reason_urls: {need_changed, bad_experience, competitor, forgot, too_many_messages, privacy}
VARIABLES = frozenset(
    {"name", "brand", "cta_url", "unsubscribe_url", "campaign_id", "coupon", "recommendations", "reason_urls"}
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
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(TEMPLATE_ROOT)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


@cache
def shipped_templates() -> frozenset[str]:
    """The templates shipped with the layer (one folder each)."""
    return frozenset(p.name for p in TEMPLATE_ROOT.iterdir() if p.is_dir() and p.name != LAYOUT_DIR)


@cache
def used_variables(template: str, channel: str, locale: str) -> frozenset[str]:
    """The variables the channel's files of `template` refer to: the sender computes only these
    (recommendations may be a call to Amazon Personalize; an SMS never shows them)."""
    env = _environment()
    assert env.loader is not None
    used: set[str] = set()
    for filename in FILES[channel]:
        source = env.loader.get_source(env, f"{template}/{locale}/{filename}")[0]
        used |= meta.find_undeclared_variables(env.parse(source))
    return frozenset(used)


def check_templates(owner: str, templates: Iterable[str], channels: Iterable[str]) -> None:
    """Each of `templates` exists for each of `channels` in every locale and needs only known variables;
    `owner` (a campaign) names the user of the templates in the error."""
    env = _environment()
    assert env.loader is not None
    channels = tuple(channels)
    for template in sorted(templates):
        for channel in channels:
            for locale in available_locales():
                for filename in FILES[channel]:
                    name = f"{template}/{locale}/{filename}"
                    try:
                        source = env.loader.get_source(env, name)[0]
                    except Exception as exc:
                        raise TemplateProblem(f"{owner}: missing template {name}") from exc
                    unknown = meta.find_undeclared_variables(env.parse(source)) - VARIABLES
                    if unknown:
                        raise TemplateProblem(f"template {name} uses unknown variables {sorted(unknown)}")


@cache
def sms_opt_out(locale: str) -> str:
    """The opt-out line every SMS ends with, in `locale` (carriers require it)."""
    return (TEMPLATE_ROOT / LAYOUT_DIR / locale / "sms_opt_out.txt").read_text(encoding="utf-8").strip()


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
