"""CLI input is checked first: one-line errors (exit 2), never a traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from recorder.cli import CLIError, _Parser
from recorder.privacy_cli import add_forget, add_prune, positive_days, validate_login, validate_user_id

ROOT = Path(__file__).resolve().parents[2]


def _main(argv: list[str]) -> tuple[int, str]:
    """recorder.cli.main with only forget and prune registered (the lead wires them in)."""
    parser = _Parser(prog="recorder")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_forget(sub)
    add_prune(sub)
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0), ""
    except (CLIError, ValueError) as exc:
        return 2, str(exc)


@pytest.mark.parametrize("argv, message", [
    (["forget"], "one of the arguments --user --user-id is required"),
    (["forget", "--user", "a", "--user-id", "1"], "not allowed with argument"),
    (["forget", "--user", "bad login"], "invalid login 'bad login'"),
    (["forget", "--user", "x" * 26], "invalid login"),
    (["forget", "--user", "émile"], "invalid login"),
    (["forget", "--user-id", "12ab"], "invalid user id '12ab'"),
    (["prune"], "the following arguments are required: --older-than"),
    (["prune", "--older-than", "0"], "--older-than must be a positive number of days"),
    (["prune", "--older-than", "-5"], "--older-than must be a positive number of days"),
    (["prune", "--older-than", "nan"], "--older-than must be a positive number of days"),
    (["prune", "--older-than", "soon"], "--older-than needs a number of days, not 'soon'"),
    (["prune", "--older-than", "3", "--batch", "0"], "--batch must be at least 1"),
])
def test_bad_input_is_a_one_line_error(argv, message, tmp_path):
    status, text = _main([*argv, "--db", str(tmp_path / "x.db")] if len(argv) > 1 else argv)
    assert status == 2
    assert message in text and "\n" not in text
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_validators_normalise():
    assert validate_login(" @Victim_X ") == "victim_x"
    assert validate_user_id(" 4242 ") == "4242"
    assert positive_days("0.5") == 0.5


def test_forget_and_prune_work_from_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "chat.db")
    assert _main(["forget", "--user", "Nobody", "--db", db, "--actor", "me"])[0] == 0
    assert "forgot nobody" in capsys.readouterr().out
    assert _main(["prune", "--older-than", "30", "--db", db])[0] == 0
    assert "deleted 0 raw lines" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--retain-days", "0"], "--retain-days must be a positive number of days"),
    (["--retain-days", "week"], "--retain-days needs a number of days"),
    (["--irc-url", "irc.chat.twitch.tv"], "--irc-url must be a ws or wss URL"),
    (["--helix-url", "ftp://x/helix"], "--helix-url must be a http or https URL"),
    (["--channels", "ok,no way"], "invalid channel name 'no way'"),
])
def test_run_refuses_bad_input_in_one_line(args, message, tmp_path):
    argv = ["run", "--channels", "alpha", "--db", str(tmp_path / "x.db"), *args]
    proc = subprocess.run([sys.executable, "-m", "recorder.cli", *argv], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert "Traceback" not in proc.stderr
