"""The redaction policy: no stretch of six digits, whole or partial identifier, survives it."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from approval.privacy import PersonalDataFilter, redact
from approval.settings import PROJECT_ROOT

ID_NUMBER = "322421199003074811"
MOBILE = "13805261234"


def _digit_like(char: str) -> bool:
    return unicodedata.digit(char, None) is not None


def _longest_digit_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if _digit_like(char) else 0
        longest = max(longest, run)
    return longest


def _windows(number: str, size: int = 6) -> list[str]:
    return [number[i : i + size] for i in range(len(number) - size + 1)]


def test_ids_mobiles_and_long_numbers_are_masked_keeping_length_and_separators() -> None:
    text = "id 32128119780315123X, tel 139-1234-5678, order 2026112600001, ok 12345, 1.2.3"
    assert redact(text) == (
        "id ******************, tel ***-****-****, order *************, ok 12345, 1.2.3"
    )


def test_partial_ids_are_masked() -> None:
    sixteen = ID_NUMBER[1:17]
    for fragment in (sixteen, ID_NUMBER[:6], "3224211990X3074", "322421 19900307 4811"):
        assert not any(w in redact(f"number={fragment};") for w in _windows(ID_NUMBER))
    assert redact(f"'{sixteen}'") == "'" + "*" * 16 + "'"


def test_digits_of_other_forms_and_scripts_count() -> None:
    for typed in (
        "32242¹199003074811",
        "３２２４２１１９９００３０７４８１１",
        "٣٢٢٤٢١١٩٩٠٠٣٠٧٤٨١١",
        "①②③④⑤⑥",
    ):
        assert _longest_digit_run(redact(typed)) == 0


def test_every_character_with_a_digit_value_is_a_digit_to_the_policy() -> None:
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if _digit_like(chr(code)) and redact(chr(code) * 6) == chr(code) * 6
    ]
    assert missed == []


def test_text_with_short_numbers_only_is_unchanged() -> None:
    text = "HTTP 500 at 127.0.0.1:8000, line 12, retry 3 of 5, 11-26 (v3.11)"
    assert redact(text) == text


_digits = st.text(alphabet="0123456789", min_size=17, max_size=17)
_separators = st.sampled_from(["", " ", "-", " - "])


@given(
    before=st.text(),
    after=st.text(),
    body=_digits,
    check=st.sampled_from(list("0123456789Xx")),
    separator=_separators,
    cut=st.integers(min_value=0, max_value=11),  # six digits left at least
)
def test_an_id_number_anywhere_leaves_no_digit_of_it(
    before: str, after: str, body: str, check: str, separator: str, cut: int
) -> None:
    number = body + check
    # the whole number or what is left of it (16 of 18…), possibly typed in groups
    shown = number[cut:]
    typed = separator.join([shown[:6], shown[6:14], shown[14:]]).strip(" -")
    text = before + typed + after
    redacted = redact(text)
    assert len(redacted) == len(text)
    assert not any(_digit_like(c) for c in redacted[len(before) : len(before) + len(typed)])
    assert _longest_digit_run(redacted) < 6


@given(st.text())
def test_no_run_of_six_digits_survives_any_text(text: str) -> None:
    redacted = redact(text)
    assert _longest_digit_run(redacted) < 6
    assert redact(redacted) == redacted


@given(st.text(alphabet=st.characters(exclude_categories=("Nd", "No"))))
def test_text_without_digits_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_the_filter_redacts_message_arguments_and_traceback() -> None:
    try:
        raise ValueError(f"no such person {ID_NUMBER}")
    except ValueError:
        record = logging.LogRecord(
            "miaopi", logging.ERROR, __file__, 1, "lookup of %s (%s)", (MOBILE, 42), sys.exc_info()
        )
    assert PersonalDataFilter().filter(record)
    shown = logging.Formatter().format(record)
    assert "lookup of *********** (42)" in shown
    assert "ValueError: no such person ******************" in shown
    assert ID_NUMBER not in shown
    assert MOBILE not in shown


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    return done.stdout + done.stderr


def test_the_processes_logging_redacts_every_logger_and_traceback() -> None:
    # what `miaopi worker` and `miaopi dispatch` install; in a process of its own
    output = _run_python(
        f"""
import logging
from approval.privacy import configure_logging
configure_logging()
logging.getLogger("miaopi.dispatch").warning("webhook for %s failed", "{ID_NUMBER}")
logging.getLogger("sqlalchemy.engine").warning("param {MOBILE}")
logging.getLogger().error("root {ID_NUMBER[:16]}")
logging.getLogger("uvicorn.error").error("uvicorn {ID_NUMBER}")
try:
    raise RuntimeError("{ID_NUMBER} / {MOBILE}")
except RuntimeError:
    logging.getLogger("miaopi.verification").exception("round failed")
"""
    )
    assert "webhook for ****************** failed" in output
    assert "RuntimeError: ****************** / ***********" in output
    assert output.count("Traceback") == 1
    assert len(re.findall(r"\d{6}", output)) == 0


def test_alembic_logging_configured_from_its_ini_file_redacts() -> None:
    output = _run_python(
        f"""
import logging, logging.config
logging.config.fileConfig("alembic.ini")
logging.getLogger("alembic").warning("row {ID_NUMBER}")
"""
    )
    assert "row ******************" in output
