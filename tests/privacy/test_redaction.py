"""Tokens and secrets never reach the database files, the spool, the logs or error messages."""
from __future__ import annotations

import asyncio
import io
import logging
import signal
import subprocess
import sys
from pathlib import Path

from recorder.redact import RedactingFilter, install, redact
from recorder.sim.server import Simulator


from .archive import count

ROOT = Path(__file__).resolve().parents[2]


def test_redact_masks_every_token_shape():
    token = "abcdef0123456789abcdef"
    samples = [f"PASS oauth:{token}", f"wss://x/?access_token={token}&a=1",
               f"client_secret={token}", f"Authorization: Bearer {token}",
               f"Authorization: OAuth {token}", f"{{'access_token': '{token}'}}",
               f"refresh_token={token}"]
    for sample in samples:
        assert token not in redact(sample), sample
        assert "***" in redact(sample)
    assert redact("PRIVMSG #a :hello oauth") == "PRIVMSG #a :hello oauth"


def test_filter_masks_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    logger = logging.getLogger("test.redaction")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    install(logger)
    install(logger)  # idempotent
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    try:
        logger.warning("sent %s", "PASS oauth:s3cr3tt0k3n")
        try:
            raise ValueError("GET /validate?access_token=s3cr3tt0k3n failed")
        except ValueError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "s3cr3tt0k3n" not in text
    assert "PASS oauth:***" in text and "ValueError" in text


async def test_recorder_run_never_writes_the_token(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("archive")
    log_path = tmp_path_factory.mktemp("logs") / "recorder.log"
    db = tmp_path / "chat.db"
    url = f"sqlite+aiosqlite:///{db}"
    async with Simulator(channels=2, rate=30.0, seed=21, transcripts=True) as sim:
        token = sim.issue_token("secret_bot")
        secret = sim.client_secret
        log_file = open(log_path, "wb")  # DEBUG logs are large: a file, not a pipe
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "recorder.cli", "run", "--channels", "sim_alpha,sim_bravo",
            "--db", str(db), "--irc-url", sim.irc_url, "--helix-url", sim.helix_url,
            "--auth-url", sim.auth_url, "--token", token, "--client-id", sim.client_id,
            "--client-secret", secret, "--log-level", "DEBUG", cwd=ROOT,
            stdout=log_file, stderr=subprocess.STDOUT)
        rows = {"n": 0}

        async def enough() -> None:
            while rows["n"] < 150:
                assert proc.returncode is None, log_path.read_text()[-2000:]
                try:
                    rows["n"] = await count(url, "raw_lines")
                except Exception:
                    pass
                await asyncio.sleep(0.1)
        await asyncio.wait_for(enough(), 60)
        sent = "".join(line for t in sim.transcripts() for line in t)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
        log_file.close()
    logs = log_path.read_text()
    assert proc.returncode == 0, logs[-2000:]
    assert "PASS" not in sent  # the server never echoes the login line
    assert "stopped:" in logs
    files = [p for p in tmp_path.iterdir() if p.is_file()]
    assert db in files
    for secret_value in (token, secret):
        assert secret_value not in logs
        for path in files:
            assert secret_value.encode() not in path.read_bytes(), path.name


def test_a_token_in_a_bad_url_is_not_echoed():
    proc = subprocess.run(
        [sys.executable, "-m", "recorder.cli", "run", "--channels", "a",
         "--irc-url", "http://irc.example/?access_token=t0k3nvalue", "--db", "unused.db"],
        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert "t0k3nvalue" not in proc.stderr and "--irc-url" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
