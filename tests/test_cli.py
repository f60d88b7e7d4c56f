"""The command line: --help and the README never drift apart; search and stats print what they should."""

from __future__ import annotations

import json
import re

import pytest

from corpus.cli import build_parser, main
from corpus.config import Settings
from support import ROOT

README = (ROOT / "README.md").read_text()


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("name", ["ingest", "serve", "search", "stats"])
def test_every_subcommand_and_option_is_in_the_readme(name):
    assert f"corpus {name}" in README
    for action in subcommands()[name]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in README, f"corpus {name} {option} is not documented in README.md"


def test_every_setting_is_in_the_readme_with_its_default():
    for env, help_text, default in Settings.documented():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{env}`")), None)
        assert row is not None, f"{env} is missing from the README's settings table"
        assert help_text in row
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        assert f"`{shown}`" in row


def test_help_lists_the_settings(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for env, _, _ in Settings.documented():
        assert env in out


def test_search_and_stats_from_the_command_line(mini_settings, capsys):
    index = str(mini_settings.index_dir)
    assert main(["--index-dir", index, "search", "oil", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert re.match(r"3 articles for oil \(\d+ ms\)", out)
    assert out.count("\n  ") >= 2 and "*oil*" in out.lower()
    assert main(["--index-dir", index, "search", "exporters", "--author", "Kenji Sato", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 2 and all("Kenji Sato" in h["author"] for h in data["hits"])
    assert main(["--index-dir", index, "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 12 and stats["authors"] == 6


def test_bad_input_on_the_command_line_is_a_message_not_a_traceback(mini_settings, capsys):
    index = str(mini_settings.index_dir)
    assert main(["--index-dir", index, "search", "date:2024-13"]) == 2
    assert "bad date" in capsys.readouterr().err
    assert main(["--index-dir", index, "ingest", "--map", "nonsense", str(ROOT / "corpus_data")]) == 1
    assert "--map takes OURS=THEIRS" in capsys.readouterr().err


def test_search_json_loads_neither_flask_nor_the_web_package(mini_settings):
    """The CLI is a thin caller of the library: `corpus search --json` needs no web framework."""
    import subprocess
    import sys

    script = (
        "import contextlib, io, sys\n"
        "from corpus.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    code = main(['--index-dir', {str(mini_settings.index_dir)!r}, 'search', 'oil', '--json'])\n"
        "assert code == 0 and '\"total\"' in out.getvalue(), out.getvalue()\n"
        "print(sorted(m for m in sys.modules if m == 'flask' or m.startswith(('flask.', 'corpus.web'))))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]", f"the CLI imported {run.stdout.strip()}"


def test_an_unknown_engine_is_a_clear_error_at_start_up(mini_settings, capsys, monkeypatch):
    from dataclasses import replace

    from corpus.errors import ConfigError
    from corpus.web import create_app

    with pytest.raises(ConfigError, match="unknown engine 'nope'; engines are sphinxql, whoosh"):
        create_app(replace(mini_settings, engine="nope"))
    monkeypatch.setenv("CORPUS_ENGINE", "nope")
    assert main(["--index-dir", str(mini_settings.index_dir), "stats"]) == 1
    assert "unknown engine 'nope'" in capsys.readouterr().err
