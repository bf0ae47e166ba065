"""Rule data files (catalogue, word lists, calendar): YAML read whole or refused whole, with
every problem reported by file and line so registry staff can fix it without reading Python."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from approval.kernel.yaml_strict import YamlRefused, load_strict


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    message: str


class RuleDataError(ValueError):
    """A rule data file (catalogue, word list) that cannot be used; nothing of it is loaded."""

    def __init__(self, path: Path, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(self._render(p) for p in self.problems))

    @property
    def line(self) -> int | None:
        return self.problems[0].line if self.problems else None

    def _render(self, problem: Problem) -> str:
        where = f"{self.path}:{problem.line}" if problem.line is not None else str(self.path)
        return f"{where}: {problem.message}"


Model = TypeVar("Model", bound=BaseModel)

_FIELD_MESSAGES = {
    "missing": "缺少字段 {field}",
    "extra_forbidden": "未知字段 {field}",
    "string_type": "{field} 应为文本",
    "string_too_short": "{field} 不能为空",
    "list_type": "{field} 应为列表",
    "tuple_type": "{field} 应为列表",
    "frozen_set_type": "{field} 应为列表",
    "dict_type": "{field} 应为键值对",
    "model_type": "{field} 应为键值对",
    "too_short": "{field} 不能为空列表",
}


def read_rule_data(path: Path, model: type[Model]) -> tuple[Model, yaml.Node]:
    """Parse a YAML rule data file into `model`, keeping the node tree for line numbers.

    Any YAML error, every duplicate key (with both lines) and every schema violation is raised
    as `RuleDataError` listing each problem with its line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleDataError(path, [Problem(None, f"无法读取文件：{exc}")]) from exc
    try:
        data, root = load_strict(text)
    except YamlRefused as exc:
        problems = [Problem(p.line, p.message) for p in exc.problems]
        raise RuleDataError(path, problems) from None
    if root is None:
        raise RuleDataError(path, [Problem(1, "文件为空")])
    try:
        return model.model_validate(data), root
    except ValidationError as exc:
        problems = [
            Problem(line_at(root, error["loc"]), _describe(error))
            for error in exc.errors(include_url=False)
        ]
        raise RuleDataError(path, problems) from None


def _describe(error: Any) -> str:
    loc = error["loc"]
    names = [part for part in loc if isinstance(part, str)]
    field = names[-1] if names else "内容"
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "enum":
        expected = str(error["ctx"]["expected"]).replace("'", "")
        allowed = [choice.strip() for choice in expected.replace(" or ", ",").split(",")]
        hint = difflib.get_close_matches(str(error["input"]), allowed, n=1)
        suggestion = f"，是否应为 {hint[0]}？" if hint else ""
        return f"{field} 的取值 {error['input']!r} 无效，可选：{'、'.join(allowed)}{suggestion}"
    template = _FIELD_MESSAGES.get(kind)
    if template is None:
        return f"{field}: {error['msg']}"
    return template.format(field=field, input=error.get("input"))


def child_node(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                child: yaml.Node = value
                return child
    return None


def line_at(node: yaml.Node, loc: Sequence[int | str]) -> int:
    """The line of the deepest node that `loc` (a pydantic error location) still reaches."""
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(part, str) and isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    line, node = key_node.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(part, int) and isinstance(node, yaml.SequenceNode):
            if not 0 <= part < len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
