"""YAML as registry staff write it, read strictly: every file under ``rules/`` goes through here.

PyYAML keeps the last of two equal keys without a word, so a rule with ``outcome:`` written twice
would silently decide otherwise than its author read it. Here the node tree is composed first and
every duplicated key is refused with both lines. YAML syntax errors are said in plain Chinese at
the line where the mistake is (an unclosed quote at the line where the quote opens), with the line
itself quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class YamlProblem:
    line: int
    column: int
    message: str


class YamlRefused(ValueError):
    """The text is not YAML that can be used as it is written; every problem is listed."""

    def __init__(self, problems: list[YamlProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"第{p.line}行：{p.message}" for p in problems))


def compose_strict(text: str) -> yaml.Node | None:
    """The single document's node tree (None for an empty file); YamlRefused on a syntax error,
    on more than one document, or on any key written twice in one mapping."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise YamlRefused([describe_yaml_error(exc, text)]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks every syntax error
        raise YamlRefused([YamlProblem(1, 1, f"无法按YAML读取：{exc}")]) from None
    except RecursionError:
        raise YamlRefused([YamlProblem(1, 1, "嵌套层次过深，无法读取")]) from None
    if root is not None:
        duplicates = duplicate_keys(root)
        if duplicates:
            raise YamlRefused(duplicates)
    return root


def load_strict(text: str) -> tuple[Any, yaml.Node | None]:
    """The plain data (dicts, lists, text, numbers) and its node tree, composed strictly."""
    root = compose_strict(text)
    if root is None:
        return None, None
    return construct(root), root


def construct(node: yaml.Node) -> Any:
    """Plain data of a node tree, as ``yaml.safe_load`` would build it."""
    loader = yaml.SafeLoader("")
    try:
        try:
            return loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise YamlRefused([YamlProblem(line, column, _constructor_problem(exc))]) from None
    finally:
        loader.dispose()


def duplicate_keys(node: yaml.Node) -> list[YamlProblem]:
    """Every key written twice in one mapping, anywhere in the tree, with both lines; and every
    ``&anchor`` that a ``*alias`` repeats (a few aliases can stand for billions of nodes)."""
    found: list[YamlProblem] = []
    stack = [node]
    visited: set[int] = set()
    repeated: set[int] = set()
    while stack:
        here = stack.pop()
        if id(here) in visited:
            if id(here) not in repeated and not isinstance(here, yaml.ScalarNode):
                repeated.add(id(here))
                found.append(
                    YamlProblem(
                        here.start_mark.line + 1,
                        here.start_mark.column + 1,
                        "这里用 & 定义的内容又被 * 引用：规则数据不支持锚点和引用，"
                        "请把内容直接写出来",
                    )
                )
            continue
        visited.add(id(here))
        if isinstance(here, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in here.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        found.append(
                            YamlProblem(
                                line,
                                key.start_mark.column + 1,
                                f"键 {key.value} 重复：第{seen[key.value]}行和第{line}行"
                                "（同一层只能写一次，否则只有后写的那个生效）",
                            )
                        )
                    else:
                        seen[key.value] = line
                stack.append(value)
        elif isinstance(here, yaml.SequenceNode):
            stack.extend(here.value)
    return sorted(found, key=lambda p: (p.line, p.column))


# ---------------------------------------------------------------- syntax errors in plain words


def _written(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line - 1].rstrip() if 0 < line <= len(lines) else ""


def _quote(text: str, line: int) -> str:
    written = _written(text, line).strip()
    return f"（第{line}行：{written[:80]}）" if written else ""


def _multiline_quote(text: str, before: int) -> yaml.Token | None:
    """The last quoted text that starts before the error and runs over several lines: an
    opening quote whose partner is missing, so YAML read on to the next quote in the file."""
    found = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.line >= before:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ("'", '"')
                and token.end_mark.line > token.start_mark.line
            ):
                found = token
    except yaml.YAMLError:
        pass
    return found


def describe_yaml_error(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    """A PyYAML error as registry staff can act on it: where, what, and how to fix it."""
    problem = exc.problem or ""
    context = exc.context or ""
    at = exc.problem_mark or exc.context_mark
    opened = exc.context_mark
    line, column = (at.line + 1, at.column + 1) if at else (1, 1)

    def problem_at(where: yaml.Mark | None, message: str) -> YamlProblem:
        here_line = where.line + 1 if where else line
        here_column = where.column + 1 if where else column
        return YamlProblem(here_line, here_column, message + _quote(text, here_line))

    if "quoted scalar" in context and opened is not None:
        return problem_at(opened, "引号没有闭合：这里开始的引号直到文件末尾都没有对应的结束引号")
    unclosed = _multiline_quote(text, line - 1)
    if unclosed is not None:
        start = unclosed.start_mark
        return problem_at(
            start,
            f"引号可能没有闭合：这里开始的引号一直延续到第{unclosed.end_mark.line + 1}行"
            "才遇到下一个引号；请在这一行末尾补上结束引号",
        )
    if "'\\t'" in problem or "\\t" in problem:
        return problem_at(at, "这一行含有制表符（Tab）：YAML只能用空格缩进，请把Tab换成空格")
    if "flow sequence" in context:
        return problem_at(
            opened, "方括号 [ 没有闭合，或列表中两项之间缺少逗号：写成 [甲, 乙] 的样子"
        )
    if "flow mapping" in context:
        return problem_at(
            opened,
            "花括号 { 没有闭合，或两项之间缺少逗号；若这段文字以 { 开头，请把整段文字放进引号",
        )
    if "mapping values are not allowed" in problem:
        return problem_at(
            at,
            "这里不能再写“键: 值”：可能是缩进不对，或不加引号的文字里含有“冒号加空格”；"
            "请检查缩进，或把这段文字放进引号",
        )
    if "could not find expected ':'" in problem:
        return problem_at(
            opened, "这一行缺少冒号，或一段文字换行了却没有放进引号；请写成“键: 值”的样子"
        )
    if "expected <block end>" in problem or "block collection" in context:
        return problem_at(
            at, "缩进不对：这一行与上面同一层的内容没有对齐（同一层要用相同个数的空格缩进）"
        )
    if "another document" in problem or "single document" in (problem + context):
        return problem_at(at, "一个文件只能有一份内容：请去掉多出的 --- 分隔线")
    if "cannot start any token" in problem:
        char = re.search(r"character '(.+?)'", problem)
        shown = char.group(1) if char else "这个字符"
        return problem_at(at, f"{shown} 不能作为文字的开头：请把这段文字放进引号")
    if "undefined alias" in problem or "alias" in context:
        return problem_at(at, "以 * 开头的文字会被当作引用：请把这段文字放进引号")
    if "block scalar" in context or "block scalar" in problem:
        return problem_at(at, "多行文字（| 或 >）的缩进不对：续行要比键多缩进")
    if "expected <document start>" in problem:
        return problem_at(at, "这一行的缩进比上面的内容少，读不出属于哪一层；请检查缩进")
    return problem_at(at, f"无法按YAML读取：{problem or context or exc}")


def _constructor_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or ""
    tag = re.search(r"tag '([^']+)'", problem)
    if tag:
        return f"不支持的标记 {tag.group(1)}：请去掉 ! 开头的标记，或把这段文字放进引号"
    return f"无法读取这个值：{problem or exc}"
