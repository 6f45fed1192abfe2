"""Commands whose modules are imported only when they run: `hookforge --help`, `--version` and `presets` stay fast.

`hookforge metrics ...` and `hookforge dashboard` live in `hookforge.metrics.cli`, which imports the metrics store
(boto3). The root group lists them by name and one line of help, and builds the real command (importing its module)
only when it is invoked or its own help is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

from hookforge.suggest import closest


@dataclass(frozen=True)
class LazyCommand:
    """`target` is `module:attribute`: a `typer.Typer` (a command group) or a command function."""

    target: str
    #: the line `hookforge --help` lists (the real command's own first help line; a test keeps them equal)
    summary: str


class LazyGroup(TyperGroup):
    """A Typer root group that also lists `lazy` commands, importing one only when it is resolved."""

    lazy: ClassVar[Mapping[str, LazyCommand]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in self.lazy if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy:
            # only listed (help): a stand-in carrying the summary; resolve_command builds the real one
            return TyperCommand(name=cmd_name, help=self.lazy[cmd_name].summary, callback=None)
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in self.lazy and args[0] not in self.commands:
            self.commands[args[0]] = self.load(args[0])
        try:
            return super().resolve_command(ctx, args)
        except Exception as e:
            # "No such command": typer suggests only built commands; suggest the lazy ones too
            message = getattr(e, "message", None)
            near = closest(args[0], [n for n in self.lazy if n not in self.commands]) if args else None
            if isinstance(message, str) and near is not None and "Did you mean" not in message:
                e.message = f"{message.rstrip('.')}. Did you mean {near!r}?"  # type: ignore[attr-defined]
            raise

    def load(self, name: str) -> Any:
        """The real click command of a lazy entry, built as `add_typer`/`command` would have (same help style)."""
        module, _, attribute = self.lazy[name].target.partition(":")
        target = getattr(import_module(module), attribute)
        holder = typer.Typer(rich_markup_mode=self.rich_markup_mode, add_completion=False)
        holder.callback()(_no_options)  # a callback keeps the holder a group, even with a single command
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
        else:
            holder.command(name)(target)
        return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


def _no_options() -> None:
    """A group callback without options."""


def lazy_group(commands: Mapping[str, LazyCommand]) -> type[LazyGroup]:
    """A LazyGroup class listing `commands`, for `typer.Typer(cls=...)`."""
    return type("HookforgeCommands", (LazyGroup,), {"lazy": dict(commands)})
