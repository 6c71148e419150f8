"""`iom`'s commands, each imported when it runs: `iom --help` lists them from their short help
written here, and `iom token` does not import the API, Temporal or the documents' writers.

A command is named by the module and the attribute that define it: a `typer.Typer` (a group
of commands) or a function (one command)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup

from workers.cli.russian import ABORTED, say_usage_error


@dataclass(frozen=True)
class Lazy:
    """Where a command is defined, its line in `iom --help`, and whether it logs (a command
    that prints one line and logs nothing starts without the logging library)."""

    module: str
    attribute: str
    short_help: str
    logs: bool = True

    def load(self, name: str) -> click.Command:
        """The command, imported now."""
        found = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(found, typer.Typer):
            single = typer.Typer(add_completion=False)
            single.command(name)(found)
            found = single
        command = typer.main.get_command(found)
        command.name = name
        command.short_help = self.short_help
        return command


class LazyGroup(TyperGroup):
    """A typer group whose `LAZY` commands are imported when they are asked for; `commands`
    (the whole tree, as a reader of the tree walks it) imports them all."""

    lazy: ClassVar[dict[str, Lazy]] = {}
    loaded: ClassVar[dict[str, click.Command]] = {}
    """The `lazy` commands built so far in this process: typer makes a new group for every
    invocation (`CliRunner.invoke`, a test's each call), and a command is built once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._commands: dict[str, click.Command] = {}
        self._listing = False
        super().__init__(*args, **kwargs)

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        for name in self.lazy:
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._commands = dict(value)

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002 - click's signature
        return sorted({*self._commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: ARG002
        if cmd_name in self._commands:
            return self._commands[cmd_name]
        if cmd_name not in self.lazy:
            return None
        if self._listing:  # its line in the help: not worth an import
            return TyperCommand(cmd_name, short_help=self.lazy[cmd_name].short_help)
        return self._load(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command; a usage error said in Russian (`russian.say_usage_error`)."""
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        try:
            result = super().main(*args, **(kwargs | {"standalone_mode": False}))
        except click.ClickException as error:
            say_usage_error(error)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo(ABORTED, err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def _load(self, name: str) -> click.Command:
        if name not in self._commands:
            if name not in self.loaded:
                self.loaded[name] = self.lazy[name].load(name)
            self._commands[name] = self.loaded[name]
        return self._commands[name]


def lazy_group(commands: dict[str, Lazy]) -> type[LazyGroup]:
    """A `LazyGroup` class of `commands` (typer makes the group from its class)."""
    return type("IomGroup", (LazyGroup,), {"lazy": commands, "loaded": {}})
