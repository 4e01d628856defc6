"""Message content: jinja2 templates, one folder per template and locale.

`templates/<template>/<locale>/` holds `subject.txt`, `email.html`, `email.txt`, `sms.txt` and
`push.txt`; an email extends its locale's layout (`templates/_layout/<locale>/email.html` and
`email.txt`: greeting, recommendations, footer). The environment is sandboxed and autoescapes HTML;
a variable a template or its layout uses but the sender does not provide is an error when the
program loads, never a blank in a customer's inbox.

The tree rendered from is `locales.TEMPLATE_ROOT`: the layer's own until a published program version
is loaded, then that version's (`use_templates`). The load-time checks take the tree to check
(`root`), so a new version is checked before anything renders from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, meta, select_autoescape
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from winback.content import locales
from winback.content.locales import LAYOUT_DIR, available_locales, locales_in, sms_opt_out

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


class ComputedReference(TemplateProblem):
    """A template extends, includes or imports a template by a computed name (no check could follow it)."""

    def __init__(self, file: str) -> None:
        super().__init__(f"template {file} refers to a template by a computed name")
        self.file = file


@dataclass(frozen=True)
class TemplateIssue:
    """One thing wrong with a template file (relative to the tree's root), and where: the line, and
    who needs the file (`owner`, a campaign) or extends, includes or imports it (`used_by`)."""

    file: str
    message: str
    line: int | None = None
    owner: str = ""
    used_by: str = ""

    def __str__(self) -> str:
        if self.message == MISSING:
            return f"{self.owner}: missing template {self.file}"
        used_by = f" (used by {self.used_by})" if self.used_by else ""
        at = f", line {self.line}" if self.line is not None else ""
        return f"template {self.file}{used_by}{at}: {self.message}"


MISSING = "missing"


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def _environment_at(root: Path) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(str(root)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


@cache
def _environment() -> SandboxedEnvironment:
    # `locales.TEMPLATE_ROOT` is read here, not imported: `use_templates`, a test or a tool may point
    # it at another tree.
    return _environment_at(locales.TEMPLATE_ROOT)


def use_templates(root: Path) -> None:
    """Render from the tree at `root` from now on (the templates of the program version in use)."""
    if root == locales.TEMPLATE_ROOT:
        return
    locales.TEMPLATE_ROOT = root
    for cached in (_environment, shipped_templates, used_variables, locales.available_locales, locales.locale_text):
        cached.cache_clear()


@cache
def shipped_templates() -> frozenset[str]:
    """The templates of the tree in use (one folder each; the layouts are none)."""
    return frozenset(p.name for p in locales.TEMPLATE_ROOT.iterdir() if p.is_dir() and p.name != LAYOUT_DIR)


class TemplateScan:
    """What the load-time checks learn of the files of one environment, each file parsed once: the
    variables it refers to and the templates it extends, includes or imports."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self._own: dict[str, tuple[frozenset[str], tuple[str | None, ...]]] = {}

    def own(self, name: str) -> tuple[frozenset[str], tuple[str | None, ...]]:
        """Raises TemplateNotFound for a missing file and TemplateSyntaxError for one jinja cannot
        parse (or that names an unknown filter)."""
        if name not in self._own:
            assert self.env.loader is not None
            tree = self.env.parse(self.env.loader.get_source(self.env, name)[0], name)
            references = tuple(meta.find_referenced_templates(tree))
            self._own[name] = (frozenset(meta.find_undeclared_variables(tree)), references)
        return self._own[name]

    def variables_by_file(self, name: str) -> dict[str, frozenset[str]]:
        """The variables `name` and every template it extends, includes or imports refer to, by file;
        raises ComputedReference for a reference by a computed name, which no check could follow."""
        found: dict[str, frozenset[str]] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            variables, references = self.own(current)
            found[current] = variables
            for reference in references:
                if reference is None:
                    raise ComputedReference(current)
                pending.append(reference)
        return found


def template_scan(root: Path | None = None) -> TemplateScan:
    """A scan of the tree in use, or of the one at `root`."""
    return TemplateScan(_environment() if root is None else _environment_at(root))


@cache
def used_variables(template: str, channel: str, locale: str) -> frozenset[str]:
    """The variables the channel's files of `template` and their layouts refer to: the sender computes
    only these (recommendations may be a call to Amazon Personalize; an SMS never shows them)."""
    scan = template_scan()
    used: set[str] = set()
    for filename in FILES[channel]:
        for names in scan.variables_by_file(f"{template}/{locale}/{filename}").values():
            used |= names
    return frozenset(used)


def template_issues(
    owner: str,
    templates: Iterable[str],
    channels: Iterable[str],
    root: Path | None = None,
    scan: TemplateScan | None = None,
) -> list[TemplateIssue]:
    """What is wrong with the channels' files of `templates` in every locale (a missing file, a
    syntax error, a variable the sender does not provide), their layouts included; in the tree in
    use, or in the one at `root`. `owner` (a campaign) names who needs the templates."""
    scan = scan or template_scan(root)
    found = available_locales() if root is None else locales_in(root)
    channels = tuple(channels)
    issues: list[TemplateIssue] = []
    for template in sorted(templates):
        for channel in channels:
            for locale in found:
                for filename in FILES[channel]:
                    issues += _file_issues(scan, owner, f"{template}/{locale}/{filename}")
    return issues


def check_templates(
    owner: str,
    templates: Iterable[str],
    channels: Iterable[str],
    root: Path | None = None,
    scan: TemplateScan | None = None,
) -> None:
    """Each of `templates` exists for each of `channels` in every locale and needs only known variables,
    its layout included; raises TemplateProblem naming the first that does not."""
    issues = template_issues(owner, templates, channels, root, scan)
    if issues:
        raise TemplateProblem(str(issues[0]))


def tree_issues(root: Path | None = None, scan: TemplateScan | None = None) -> list[TemplateIssue]:
    """What is wrong with any file of the tree, used by a campaign or not: a syntax error, or a
    variable the sender does not provide."""
    scan = scan or template_scan(root)
    issues: list[TemplateIssue] = []
    for name in scan.env.list_templates():
        if not name.rsplit("/", 1)[-1].startswith("."):
            issues += _file_issues(scan, "", name, follow=False)
    return issues


def _file_issues(scan: TemplateScan, owner: str, name: str, *, follow: bool = True) -> list[TemplateIssue]:
    try:
        by_file = scan.variables_by_file(name) if follow else {name: scan.own(name)[0]}
    except TemplateNotFound as exc:
        return [TemplateIssue(str(exc.name or name), MISSING, owner=owner)]
    except TemplateSyntaxError as exc:
        file = exc.name or name
        return [TemplateIssue(file, f"does not parse: {exc.message}", exc.lineno, used_by=_by(file, name))]
    except ComputedReference as exc:
        return [TemplateIssue(exc.file, "refers to a template by a computed name", used_by=_by(exc.file, name))]
    except UnicodeDecodeError:
        return [TemplateIssue(name, "is not UTF-8 text")]
    issues = []
    for current, names in sorted(by_file.items()):
        unknown = names - VARIABLES
        if unknown:
            message, line = f"uses unknown variables {sorted(unknown)}", _first_use(scan.env, current, unknown)
            issues.append(TemplateIssue(current, message, line, used_by=_by(current, name)))
    return issues


def _by(file: str, name: str) -> str:
    return "" if file == name else name


def _first_use(env: Environment, name: str, variables: frozenset[str]) -> int | None:
    """The line where one of `variables` first appears in the template `name`."""
    assert env.loader is not None
    for line, kind, value in _tokens(env, name):
        if kind == "name" and value in variables:
            return line
    return None


def _tokens(env: Environment, name: str) -> Iterator[tuple[int, str, str]]:
    assert env.loader is not None
    yield from env.lex(env.loader.get_source(env, name)[0], name)


def check_locale_texts(root: Path | None = None) -> None:
    """Every locale folder holds the texts the sender reads from it."""
    missing = locales.missing_texts(root)
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
