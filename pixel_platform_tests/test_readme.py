"""The README's commands exist as written: every ``pixel-platform …`` line in its code blocks names
subcommands the CLI has and options those subcommands take (and ``--help`` works on each), and
every ``make`` target it names is in the Makefile."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pixel_platform.cli.main import build_parser

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```([\w-]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
_SHELL = {"", "bash", "sh", "shell", "console"}
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def readme_commands(program: str) -> list[str]:
    lines = []
    for language, block in _BLOCK.findall(README.read_text(encoding="utf-8")):
        if language not in _SHELL:
            continue
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("export "):
                continue
            # commands may follow an env assignment: `OVH_S3_BUCKET=x pixel-platform train …`
            words = line.split()
            while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                words.pop(0)
            if words and words[0] == program:
                lines.append(" ".join(words))
    return lines


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _resolve(line: str) -> list[tuple[str, argparse.ArgumentParser]]:
    """The (command path, parser) pairs a README line names: ``train submit|status …`` is four."""
    found = [("pixel-platform", build_parser())]
    for word in line.split()[1:]:
        children = [(path, _subparsers(p)) for path, p in found]
        if not any(subs for _, subs in children):
            break
        names = word.split("|")
        if not all(re.fullmatch(r"[a-z][a-z0-9-]*", n) for n in names):
            break
        nxt = []
        for path, subs in children:
            for name in names:
                assert name in subs, f"README: `{line}`: {path} has no subcommand {name!r}"
                nxt.append((f"{path} {name}", subs[name]))
        found = nxt
    return found


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings}


COMMANDS = readme_commands("pixel-platform")


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 12, COMMANDS


@pytest.mark.parametrize("line", COMMANDS)
def test_each_readme_command_parses(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    parsers = _resolve(line)
    options = set().union(*(_options(p) for _, p in parsers))
    unknown = [o for o in _OPTION.findall(line) if o not in options]
    assert not unknown, f"README: `{line}` uses options its command does not have: {unknown}"
    for path, parser in parsers:
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args([*path.split()[1:], "--help"])
        assert exit_info.value.code == 0, path
        assert parser.prog in capsys.readouterr().out


def test_make_targets_in_the_readme_exist() -> None:
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = {line.split()[1] for line in readme_commands("make") if len(line.split()) > 1}
    assert named and named <= targets, named - targets


def test_every_option_of_every_command_says_what_it_does() -> None:
    """`--help` of every subcommand explains each option (no bare `--storage-root STORAGE_ROOT`)."""

    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        bare = [f"{path} {a.option_strings[0]}" for a in parser._actions
                if a.option_strings and a.help is None and a.dest != "help"]  # fmt: skip
        for name, child in _subparsers(parser).items():
            bare += walk(child, f"{path} {name}")
        return bare

    assert walk(build_parser(), "pixel-platform") == []
