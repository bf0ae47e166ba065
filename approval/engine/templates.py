"""Reason texts with placeholders, filled from the facts of the decision.

A placeholder is a fact's name in braces: ``名称中的"{name.prohibited_words}"属于…``. ``{{`` and
``}}`` stand for a brace in the text. Filling is one pass over the parsed text, so a value that
itself contains braces (applicants type scope entries) is inserted as it is and never read again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Placeholder", "Template", "TemplateError", "parse_template"]

_FACT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True, slots=True)
class Placeholder:
    fact: str
    offset: int  # of its "{" in the text


@dataclass(frozen=True, slots=True)
class Template:
    source: str
    segments: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return tuple(part for part in self.segments if isinstance(part, Placeholder))

    def render(self, value_of: Callable[[str], str]) -> str:
        """The text with each placeholder replaced by ``value_of(its fact)``."""
        return "".join(
            value_of(part.fact) if isinstance(part, Placeholder) else part for part in self.segments
        )


class TemplateError(ValueError):
    """The text cannot be read as a template; ``problems`` holds (offset, message) pairs."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(message for _, message in problems))


def parse_template(text: str) -> Template:
    """Split a reason text into literal text and placeholders; raise TemplateError if malformed."""
    segments: list[str | Placeholder] = []
    problems: list[tuple[int, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "{}" and text[i + 1 : i + 2] == char:
            literal.append(char)
            i += 2
            continue
        if char == "}":
            problems.append((i, "'}' 没有对应的 '{'：文字中要写花括号时写成 '}}'"))
            i += 1
            continue
        if char != "{":
            literal.append(char)
            i += 1
            continue
        close = text.find("}", i + 1)
        reopened = text.find("{", i + 1)
        if close == -1 or (reopened != -1 and reopened < close):
            problems.append((i, "'{' 没有闭合：占位符是花括号中的事实名，例如 {operator.age}"))
            i += 1
            continue
        name = text[i + 1 : close].strip()
        if not name:
            problems.append((i, "占位符 '{}' 是空的：请在花括号中写事实名，例如 {operator.age}"))
        elif not _FACT_NAME.fullmatch(name):
            problems.append((i, f"'{{{name}}}' 不是事实名：占位符写作 {{operator.age}}"))
        else:
            if literal:
                segments.append("".join(literal))
                literal = []
            segments.append(Placeholder(name, i))
        i = close + 1
    if problems:
        raise TemplateError(problems)
    if literal:
        segments.append("".join(literal))
    return Template(text, tuple(segments))
