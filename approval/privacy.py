"""Keeping personal data out of logs: one redaction policy, installed on every log handler.

The policy is deliberately blunt. Any stretch of six or more digits is masked, whatever it is:
a whole or partial resident ID number (with or without its check letter X), a mobile number,
either one written in groups split by spaces or dashes, or a number that merely looks like one.
Digits of any script count (full-width, Arabic-Indic…), and so do superscript, subscript and
circled digits, because an identifier typed with them is still the person's number. Masking keeps
the text's length and separators; only the digits and the check letter become ``*``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# characters with a digit value that are not decimal digits (``\d`` already covers those in any
# script): superscripts, subscripts, circled, parenthesised and full-stop digits, and the like
_OTHER_DIGITS = (
    "\u00b2\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089"
    "\u2460-\u249b\u24ea-\u24ff\u2776-\u2793"
    "\U00010a40-\U00010a43\U00010e60-\U00010e68\U00011052-\U0001105a\U0001f100-\U0001f10c"
)
_DIGIT = f"[\\d{_OTHER_DIGITS}]"
# a group is digits with check letters among or after them; groups joined by short separators
_GROUP = f"{_DIGIT}+(?:[Xx]{_DIGIT}*)*"
_SEPARATOR = "[ \t\u3000_\\-\u2010-\u2015\u2212\uff0d]{1,3}"
_NUMBER_LIKE = re.compile(f"{_GROUP}(?:{_SEPARATOR}{_GROUP})*")
_MASKED = re.compile(f"{_DIGIT}|[Xx]")
_DIGIT_CHAR = re.compile(_DIGIT)
MIN_DIGITS = 6
_TRACEBACKS = logging.Formatter()


def _mask(match: re.Match[str]) -> str:
    text = match.group()
    if len(_DIGIT_CHAR.findall(text)) < MIN_DIGITS:
        return text
    return _MASKED.sub("*", text)


def redact(text: str) -> str:
    """Mask every run of six or more digits (ID numbers, mobiles, whole or in part) in the text."""
    return _NUMBER_LIKE.sub(_mask, text)


def redact_record(record: logging.LogRecord) -> None:
    """Redact a log record in place: its message, its traceback and its stack."""
    record.msg = redact(record.getMessage())
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = _TRACEBACKS.formatException(record.exc_info)
    # no formatter further on may render the raw exception again
    record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class PersonalDataFilter(logging.Filter):
    """A handler or logger filter that redacts each record it passes (and drops none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter that redacts the record first, for configurations without filters (ini)."""

    def format(self, record: logging.LogRecord) -> str:
        redact_record(record)
        return super().format(record)


SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The logging of every Miaopi process (``logging.config.dictConfig``, uvicorn's log_config).

    One handler on the root logger, redacting; uvicorn's loggers propagate to it instead of
    keeping handlers of their own, and redact too, should a handler ever be added to them.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"personal_data": {"()": "approval.privacy.PersonalDataFilter"}},
        "formatters": {
            "plain": {
                "()": "approval.privacy.RedactingFormatter",
                "format": "%(asctime)s %(levelname)s [%(name)s] %(message)s",
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "plain",
                "filters": ["personal_data"],
            }
        },
        # other libraries (httpx logs every registry call at INFO) only from warnings up
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "miaopi": {"level": level},
            **{
                name: {"handlers": [], "filters": ["personal_data"], "propagate": True}
                for name in SERVER_LOGGERS
            },
        },
    }


def configure_logging(level: str = "INFO") -> None:
    """Send this process's logs, redacted, to stderr (the worker and dispatcher commands)."""
    import logging.config

    logging.config.dictConfig(logging_config(level))
