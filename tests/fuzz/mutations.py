"""Mutated real lines for hypothesis: real captured and documented Twitch lines, then a few
random edits that hit the grammar's sharp edges (tag separators, escapes, prefixes, emote
ranges, unicode, CR/LF/NUL)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
CORPORA = (ROOT / "tests" / "client" / "data" / "real_lines.jsonl",
           ROOT / "tests" / "data" / "twitch_docs_examples.jsonl")


def _load() -> list[str]:
    lines: list[str] = []
    for path in CORPORA:
        if path.is_file():
            lines += [json.loads(l)["line"] for l in path.read_text().splitlines() if l.strip()]
    return lines


REAL_LINES = _load()

settings.register_profile("fuzz-quick", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz-long", max_examples=6000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
#: ``make fuzz`` sets FUZZ_PROFILE=fuzz-long; the regular suite runs the quick profile.
PROFILE = settings.get_profile(os.environ.get("FUZZ_PROFILE", "fuzz-quick"))

SHARP = list(" ;=:@!#\\/,-._~+^$%") + ["\\s", "\\:", "\\\\", "\\", "\x01", "ACTION ", "\u200b",
                                        "日本語", "😀", "é", "\ufeff", "0", "-1", "99999999999",
                                        "18446744073709551617", "emotes=", "badges=", ":", " :"]
CONTROL = ["\r", "\n", "\x00", "\r\n", "\t"]


@st.composite
def fragments(draw, control: bool = False) -> str:
    pool = SHARP + (CONTROL if control else [])
    parts = draw(st.lists(st.one_of(st.sampled_from(pool), st.text(max_size=4)), max_size=4))
    return "".join(parts)


@st.composite
def mutated_line(draw, control: bool = False) -> str:
    """One real line with 1-4 random edits."""
    line = draw(st.sampled_from(REAL_LINES))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "dup", "tag", "truncate", "swap"]))
        n = len(line)
        i = draw(st.integers(0, n))
        j = draw(st.integers(i, min(n, i + 40)))
        if op == "insert":
            line = line[:i] + draw(fragments(control)) + line[i:]
        elif op == "delete":
            line = line[:i] + line[j:]
        elif op == "replace":
            line = line[:i] + draw(fragments(control)) + line[j:]
        elif op == "dup":
            line = line[:j] + line[i:j] + line[j:]
        elif op == "truncate":
            line = line[:i]
        elif op == "swap" and " " in line:
            words = line.split(" ")
            a, b = draw(st.integers(0, len(words) - 1)), draw(st.integers(0, len(words) - 1))
            words[a], words[b] = words[b], words[a]
            line = " ".join(words)
        elif op == "tag" and line.startswith("@") and " " in line:
            tags, rest = line[1:].split(" ", 1)
            items = tags.split(";")
            k = draw(st.integers(0, len(items) - 1))
            key = items[k].split("=", 1)[0]
            items[k] = f"{key}={draw(fragments(control))}"
            line = "@" + ";".join(items) + " " + rest
    return line
