"""The user guides name only real `outcomes` commands and options.

Every `outcomes ...` line of a code block, and every inline `outcomes ...` in the text, of the
guides below is resolved against the CLI itself: each word before the arguments must be a
command (or group) and each `--option` one that command takes. A renamed command or a dropped
option fails here before a user meets it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from api.cli import main

DOCS = Path(__file__).parents[2] / "docs"
GUIDES = ("your-quarter.md", "contract-variation.md", "correcting-a-participant.md")

_INLINE = re.compile(r"`(outcomes [^`]+)`")


def commands_in(text: str) -> list[str]:
    """Every `outcomes ...` command line of a markdown text (code blocks and inline code)."""
    found = [line.strip() for line in text.splitlines() if line.strip().startswith("outcomes ")]
    return found + _INLINE.findall(text)


def problem_with(line: str) -> str | None:
    """What is wrong with one command line (None when the CLI has the command and options)."""
    words = shlex.split(line)[1:]
    command: click.Command = main
    path = ["outcomes"]
    context = click.Context(main, info_name="outcomes")
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        # get_command, not .commands: `outcomes` loads its command modules when first asked
        sub = command.get_command(context, words[0])
        if sub is None:
            return f"{line}: {' '.join(path)} has no command {words[0]!r}"
        command, path = sub, [*path, words.pop(0)]
    if isinstance(command, click.Group):
        return None  # a group named on its own, e.g. `outcomes scheduler` in the text
    known = {name for p in command.params for name in getattr(p, "opts", [])}
    for word in words:
        option = word.split("=", 1)[0]
        if option.startswith("--") and option not in known:
            return f"{line}: {' '.join(path)} takes no {option}"
    return None


@pytest.mark.parametrize("guide", GUIDES)
def test_every_command_of_the_guide_exists(guide: str) -> None:
    lines = commands_in((DOCS / guide).read_text(encoding="utf-8"))
    assert lines, f"{guide} names no outcomes command"
    problems = [p for line in lines if (p := problem_with(line)) is not None]
    assert problems == []


def test_a_wrong_command_or_option_is_caught() -> None:
    assert problem_with("outcomes reconcile fcf --period 2017-Q1 --close") is None
    assert problem_with("outcomes reconcile fcf --period 2017-Q1 --shut") is not None
    assert problem_with("outcomes contract publish fcf v2.yaml") is not None
    assert problem_with("outcomes contract load v2.yaml --draft --actor x") is None
