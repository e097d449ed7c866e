"""Defence in depth for secrets in logs: a :class:`logging.Filter` that masks tokens.

The code never formats a token into a message on purpose (``RecorderConfig.__repr__`` hides
them, :func:`recorder.store.db.redact_url` hides database passwords); this filter catches the
rest: a ``PASS oauth:...`` line, ``access_token=...`` / ``client_secret=...`` / ``token=...`` in a
URL or a form body, ``Authorization: Bearer ...`` / ``OAuth ...`` headers, in the message, its
arguments and a formatted traceback.
"""
from __future__ import annotations

import logging
import re

__all__ = ["redact", "RedactingFilter", "install"]

_PATTERNS = (
    (re.compile(r"(oauth:)[^\s'\"&;,]+", re.IGNORECASE), r"\1***"),
    (re.compile(r"((?:access_token|refresh_token|client_secret|token|password|secret)=)[^\s'\"&;,]+",
                re.IGNORECASE), r"\1***"),
    (re.compile(r"\b((?:Bearer|OAuth)\s+)[A-Za-z0-9._~+/\-]{6,}=*", re.IGNORECASE), r"\1***"),
    (re.compile(r"(['\"](?:access_token|refresh_token|client_secret|token)['\"]\s*:\s*['\"])[^'\"]+",
                re.IGNORECASE), r"\1***"),
)


def redact(text: str) -> str:
    """``text`` with every token-looking value replaced by ``***``."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record (message, arguments and exception text) before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add the filter to every handler of ``logger`` (the root logger by default); idempotent."""
    logger = logger or logging.getLogger()
    flt = next((f for h in logger.handlers for f in h.filters if isinstance(f, RedactingFilter)),
               RedactingFilter())
    for handler in logger.handlers:
        if flt not in handler.filters:
            handler.addFilter(flt)
    return flt
