"""typer's own words in Russian: the help page's panels and marks, the usage line, the help
option, and the usage errors.

typer 0.29 carries its own copy of click, whose messages are mostly f-strings, not gettext
calls: the words it keeps as module constants are set here (`install`), and a usage error is
said by `say_usage_error` (the group's `main` calls it), its message rewritten by
`usage_message` pattern by pattern (a message no pattern knows is shown as typer made it).
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import re
import sys
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import cast

from typer import _click as click
from typer import core
from typer._click import decorators, formatting

USAGE = "Использование: "
HELP_OPTION = "Показать эту справку и выйти."
ABORTED = "Прервано."
WORDS = {
    "(deprecated) ": "(устарело) ",
    "(dynamic)": "(вычисляется)",
    "Aborted!": "Прервано.",
    "Missing command.": "Не указана команда.",
    "No such command {name!r}.": "Нет команды «{name}».",
    "default: {default}": "по умолчанию: {default}",
    "env var: {var}": "переменная окружения: {var}",
    "required": "обязательный",
}
"""typer's gettext messages, in Russian."""
CONSTANTS = {
    "DEPRECATED_STRING": "(устарело) ",
    "DEFAULT_STRING": "[по умолчанию: {}]",
    "ENVVAR_STRING": "[переменная окружения: {}]",
    "REQUIRED_LONG_STRING": "[обязательный]",
    "ARGUMENTS_PANEL_TITLE": "Аргументы",
    "OPTIONS_PANEL_TITLE": "Параметры",
    "COMMANDS_PANEL_TITLE": "Команды",
    "ERRORS_PANEL_TITLE": "Ошибка",
    "ABORTED_TEXT": "Прервано.",
    "RICH_HELP": "Справка: [blue]'{command_path} {help_option}'[/]",
}
"""rich_utils' words, in Russian."""
MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^Missing option (?P<name>'[^']*')\. Choose from:(?P<rest>.*)$", re.S),
        r"Не указан параметр \g<name>; возможные значения:\g<rest>",
    ),
    (
        re.compile(r"^Missing option (?P<name>'[^']*')\.(?P<rest>.*)$", re.S),
        r"Не указан параметр \g<name>.\g<rest>",
    ),
    (
        re.compile(r"^Missing argument (?P<name>'[^']*')\.(?P<rest>.*)$", re.S),
        r"Не указан аргумент \g<name>.\g<rest>",
    ),
    (
        re.compile(r"^No such option: (?P<name>\S+)(?: \(Possible options: (?P<maybe>.*)\))?$"),
        r"Нет параметра \g<name>.",
    ),
    (
        re.compile(r"^No such command '(?P<name>[^']*)'\.(?: Did you mean (?P<maybe>.*)\?)?$"),
        r"Нет команды «\g<name>».",
    ),
    (re.compile(r"\.? Did you mean .*\?$"), "."),
    (
        re.compile(r"^Got unexpected extra argument\(s\) \((?P<extra>.*)\)$"),
        r"Лишние аргументы: \g<extra>.",
    ),
    (
        re.compile(r"^Invalid value for (?P<name>'[^']*'): (?P<why>.*)$", re.S),
        r"Неверное значение \g<name>: \g<why>",
    ),
    (
        re.compile(r"Value error, (?P<value>'[^']*') is not one of (?P<choices>.*)\.$", re.S),
        r"\g<value> — не из списка: \g<choices>.",
    ),
    (re.compile(r"Input should be a valid integer.*$", re.S), "нужно целое число."),
    (re.compile(r"Input should be a valid number.*$", re.S), "нужно число."),
    (re.compile(r"Input should be a valid UUID.*$", re.S), "нужен UUID."),
    (
        re.compile(r"Input should be a valid datetime.*$", re.S),
        "нужны дата и время (ISO 8601, например 2026-03-01T12:00:00+09:00).",
    ),
    (re.compile(r"Input should be a valid date.*$", re.S), "нужна дата (ГГГГ-ММ-ДД)."),
    (re.compile(r"Input should be greater than or equal to (?P<n>\S+)$"), r"не меньше \g<n>."),
    (re.compile(r"Input should be less than or equal to (?P<n>\S+)$"), r"не больше \g<n>."),
]
"""The usage errors typer says in English, and how to say them: applied in turn, each to what
the ones before left."""
CHOICES = re.compile(r"Choose from:(?P<values>.*)$", re.S)
SUGGESTION = re.compile(
    r"(?:\(Possible options: (?P<options>.*)\)|Did you mean (?P<command>.*)\?)$"
)


def usage_message(message: str) -> str:
    """A usage error's message, in Russian where a pattern knows it."""
    maybe = SUGGESTION.search(message)
    listed = CHOICES.search(message)
    if listed is not None:  # the values to choose from, quoted as values
        values = ", ".join(f"'{each}'" for each in re.findall(r"[^\s,]+", listed["values"]))
        message = message[: listed.start("values")] + " " + values + "."
    for pattern, replacement in MESSAGES:
        message = pattern.sub(replacement, message)
    if maybe is not None:
        message += f" Может быть, {maybe['options'] or maybe['command']}?"
    return message


def say_usage_error(error: click.ClickException) -> None:
    """Print a usage error as typer would, in Russian: the usage line, where the help is, the
    message."""
    if type(error).__name__ == "NoArgsIsHelpError":  # the help is printed already
        return
    error.message = usage_message(error.format_message())
    error.format_message = lambda: error.message  # type: ignore[method-assign]
    from typer import rich_utils  # noqa: PLC0415 - rich, imported when it has something to say

    rich_utils.rich_format_error(error)


class RussianFormatter(formatting.HelpFormatter):
    """The help's usage line, in Russian."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, USAGE if prefix is None else prefix)


def _help_option(param_decls: list[str]) -> Callable[[click.Command], click.Command]:
    """`--help`, its line in Russian."""
    add = HELP_OPTION_OF_TYPER(param_decls)

    def apply(command: click.Command) -> click.Command:
        added = add(command)
        cast("core.TyperOption", command.params[-1]).help = HELP_OPTION
        return added

    return apply


HELP_OPTION_OF_TYPER = decorators.help_option


def install() -> None:
    """Make typer speak Russian (once per process; idempotent). typer imports its rich help
    and error pages (`typer.rich_utils`, with rich: a third of `iom`'s start) only when it
    shows one; their words are set as that module is imported."""
    core._ = _say  # type: ignore[attr-defined]
    click.Context.formatter_class = RussianFormatter
    decorators.help_option = _help_option
    rich_utils = sys.modules.get(RICH_UTILS)
    if rich_utils is None:
        if not any(isinstance(finder, _WhenImported) for finder in sys.meta_path):
            sys.meta_path.insert(0, _WhenImported(RICH_UTILS, _install_rich))
    else:
        _install_rich(rich_utils)


RICH_UTILS = "typer.rich_utils"


def _say(message: str) -> str:
    return WORDS.get(message, message)


def _install_rich(rich_utils: ModuleType) -> None:
    """rich_utils' words and usage line, in Russian."""
    for name, text in CONSTANTS.items():
        setattr(rich_utils, name, text)
    rich_utils._ = _say  # type: ignore[attr-defined]
    highlighter = type(rich_utils.highlighter)  # the usage line's prefix, highlighted as before
    highlighter.highlights = [p.replace("Usage: ", USAGE) for p in highlighter.highlights]


class _WhenImported(importlib.abc.MetaPathFinder):
    """Calls `then` with module `name` once it is first imported, before anyone uses it."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(  # the finder protocol's signature: `path` and `target` are not needed here
        self,
        fullname: str,
        path: Sequence[str] | None,  # noqa: ARG002
        target: ModuleType | None = None,  # noqa: ARG002
    ) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # the real finders find it; this one only follows once
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Then(spec.loader, self.then)
        return spec


class _Then(importlib.abc.Loader):
    """A module's own loader, then `then` on the module it loaded."""

    def __init__(self, loader: importlib.abc.Loader, then: Callable[[ModuleType], None]) -> None:
        self.loader = loader
        self.then = then

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.then(module)
