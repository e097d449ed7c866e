"""The CLI edge: one-line errors for bad input, --help for every command, README documents them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from recorder.cli import CLIError, build_parser, main, parse_channels

ROOT = Path(__file__).resolve().parents[1]


def test_parse_channels_normalises():
    assert parse_channels("Foo, #bar ,,baz,foo") == ["foo", "bar", "baz"]


@pytest.mark.parametrize("bad", ["has space", "toolong" * 5, "semi;colon", "émile"])
def test_bad_channel_names_are_refused(bad):
    with pytest.raises(CLIError) as info:
        parse_channels(bad)
    assert "invalid channel name" in str(info.value)


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recorder.cli", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def test_bad_channel_is_a_one_line_error_not_a_traceback():
    proc = _run("run", "--channels", "good,b@d", "--db", "unused.db")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "invalid channel name 'b@d'" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_option_is_a_one_line_error():
    proc = _run("run", "--no-such-flag")
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0


def test_missing_channels_file_is_a_one_line_error(tmp_path):
    assert main(["run", "--channels-file", str(tmp_path / "nope.txt")]) == 2


def test_channels_file_with_comments(tmp_path):
    path = tmp_path / "channels.txt"
    path.write_text("# my channels\nalpha\n\n#Bravo\n")
    args = build_parser().parse_args(["run", "--channels-file", str(path)])
    from recorder.cli import _channels_from_args

    assert _channels_from_args(args) == ["alpha", "bravo"]


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return sorted(sub.choices)


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in _commands():
        proc = _run(name, "--help")
        assert proc.returncode == 0, proc.stderr
        assert "usage:" in proc.stdout
        assert f"recorder {name}" in readme, f"README does not document `recorder {name}`"
