"""The business-scope catalogue (经营范围规范表述目录) that scope codes are chosen from.

The catalogue is a YAML file maintained by registry staff. It is loaded whole or refused whole:
every problem is reported with the file and line so staff can fix it without reading Python.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

__all__ = [
    "Problem",
    "RuleDataError",
    "ScopeCatalog",
    "ScopeItem",
    "ScopeKind",
    "ScopeTag",
    "line_at",
    "load_scope_catalog",
    "read_rule_data",
]

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


def _check_code(code: str) -> str:
    if not _CODE.match(code):
        raise ValueError(f"编码 {code!r} 格式不对，应为门类字母加 4 位数字，如 F1001")
    return code


_CODE = re.compile(r"^[A-T]\d{4}$")
ScopeCode = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True), AfterValidator(_check_code)
]


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


class ScopeKind(StrEnum):
    GENERAL = "general"
    POST_PERMIT = "post_permit"
    PRE_APPROVAL = "pre_approval"
    FILING = "filing"
    CLOSED = "closed"


class ScopeTag(StrEnum):
    FUMES = "fumes"
    ENTERTAINMENT = "entertainment"
    PHYSICAL_PREMISES_REQUIRED = "physical_premises_required"
    FOOD = "food"


_CODE_LIKE = re.compile(r"^[A-Z][0-9OIL]{4}$")
_DIGIT_LOOKALIKES = str.maketrans("OIL", "011")
_NEEDS_PERMIT = frozenset({ScopeKind.POST_PERMIT, ScopeKind.PRE_APPROVAL, ScopeKind.FILING})


class ScopeItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: ScopeCode
    title: Text
    kind: ScopeKind
    permit: Text | None = None
    authority: Text | None = None
    basis: Text | None = None
    tags: frozenset[ScopeTag] = frozenset()
    aliases: tuple[Text, ...] = ()
    note: Text | None = None

    @model_validator(mode="after")
    def _fields_match_kind(self) -> ScopeItem:
        if self.kind in _NEEDS_PERMIT:
            missing = [f for f in ("permit", "authority") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"{self.code} 的类型为 {self.kind}，须填写 {'、'.join(missing)}")
        elif self.permit is not None or self.authority is not None:
            raise ValueError(f"{self.code} 的类型为 {self.kind}，不应填写 permit 或 authority")
        if self.kind is ScopeKind.CLOSED and self.basis is None:
            raise ValueError(f"{self.code} 的类型为 closed，须在 basis 中写明法律依据")
        return self

    @property
    def open_to_individuals(self) -> bool:
        return self.kind is not ScopeKind.CLOSED


class _ScopeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ScopeItem] = Field(min_length=1)


class ScopeCatalog:
    """The loaded catalogue: look up a code, iterate, or suggest entries for a wrong code/text."""

    def __init__(self, items: Sequence[ScopeItem], path: Path | None = None) -> None:
        self.path = path
        self._items = tuple(items)
        self._by_code = {item.code: item for item in self._items}
        if len(self._by_code) != len(self._items):
            raise ValueError("duplicate scope codes")

    def get(self, code: str) -> ScopeItem | None:
        return self._by_code.get(code.strip().upper())

    def __getitem__(self, code: str) -> ScopeItem:
        item = self.get(code)
        if item is None:
            raise KeyError(code)
        return item

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def __iter__(self) -> Iterator[ScopeItem]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def suggest(self, text_or_code: str, limit: int = 5) -> list[ScopeItem]:
        """Close entries for a mistyped code or free text, best first (for R26's correction)."""
        query = "".join(text_or_code.split())
        if not query or limit <= 0:
            return []
        ranked: dict[str, float] = {}

        def offer(item: ScopeItem, score: float) -> None:
            ranked[item.code] = max(ranked.get(item.code, 0.0), score)

        upper = query.upper()
        if _CODE_LIKE.match(upper):
            upper = upper[0] + upper[1:].translate(_DIGIT_LOOKALIKES)
        for code, item in self._by_code.items():
            ratio = difflib.SequenceMatcher(None, upper, code).ratio()
            if ratio >= 0.6:
                same_section = 0.5 if code[0] == upper[0] else 0.0
                offer(item, 2.0 + ratio + same_section)
        for item in self._items:
            for label in (item.title, *item.aliases):
                ratio = difflib.SequenceMatcher(None, query, label).ratio()
                if query == label:
                    offer(item, 4.0)
                elif query in label or label in query:
                    offer(item, 2.0 + ratio)
                elif ratio >= 0.5:
                    offer(item, ratio)
        best = sorted(ranked, key=lambda code: (-ranked[code], code))
        return [self._by_code[code] for code in best[:limit]]


def load_scope_catalog(path: Path | str) -> ScopeCatalog:
    """Load and check the catalogue file; raise `RuleDataError` naming file and line if unusable."""
    path = Path(path)
    catalog_file, root = read_rule_data(path, _ScopeFile)
    item_nodes = _child(root, "items")
    first_line: dict[str, int | None] = {}
    problems: list[Problem] = []
    for index, item in enumerate(catalog_file.items):
        line = line_at(item_nodes, (index, "code")) if item_nodes is not None else None
        if item.code in first_line:
            problems.append(
                Problem(
                    line,
                    f"编码 {item.code} 重复：第 {first_line[item.code]} 行与第 {line} 行",
                )
            )
        else:
            first_line[item.code] = line
    if problems:
        raise RuleDataError(path, problems)
    return ScopeCatalog(catalog_file.items, path)


# ── reading any rule data file with line numbers ──────────────────────────────

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

    Any YAML error, duplicate key or schema violation is raised as `RuleDataError` listing every
    problem with its line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleDataError(path, [Problem(None, f"无法读取文件：{exc}")]) from exc
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise RuleDataError(path, [Problem(1, "文件为空")])
        _refuse_duplicate_keys(path, root)
        data: Any = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "无法解析"
        raise RuleDataError(path, [Problem(line, f"YAML 语法错误：{problem}")]) from exc
    except yaml.YAMLError as exc:
        raise RuleDataError(path, [Problem(None, f"YAML 语法错误：{exc}")]) from exc
    finally:
        loader.dispose()
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


def _refuse_duplicate_keys(path: Path, node: yaml.Node) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in seen:
                    message = f"键 {key.value} 重复：第 {seen[key.value]} 行与第 {line} 行"
                    raise RuleDataError(path, [Problem(line, message)])
                seen[key.value] = line
            _refuse_duplicate_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _refuse_duplicate_keys(path, child)


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
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
