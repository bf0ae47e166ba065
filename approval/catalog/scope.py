"""The business-scope catalogue (经营范围规范表述目录) that scope codes are chosen from.

The catalogue is a YAML file maintained by registry staff. It is loaded whole or refused whole:
every problem is reported with the file and line so staff can fix it without reading Python.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from approval.kernel.rule_data import Problem, RuleDataError, child_node, line_at, read_rule_data

__all__ = [
    "ScopeCatalog",
    "ScopeItem",
    "ScopeKind",
    "ScopeTag",
    "load_scope_catalog",
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

    @property
    def licence_condition(self) -> str | None:
        """The condition this entry adds to a licence approved with conditions, as printed."""
        if self.kind is ScopeKind.POST_PERMIT:
            return f"{self.title}：取得{self.permit}后方可开展经营活动（{self.authority}）"
        if self.kind is ScopeKind.FILING:
            return f"{self.title}：开展经营前须向{self.authority}办理{self.permit}"
        return None


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

    def search(self, text: str = "", kind: ScopeKind | None = None) -> list[ScopeItem]:
        """Entries whose code, wording, aliases, permit or authority contain the text (spaces
        and letter case ignored), in catalogue order."""
        needle = "".join(text.split()).upper()
        found = []
        for item in self._items:
            if kind is not None and item.kind is not kind:
                continue
            labels = (item.code, item.title, *item.aliases, item.permit or "", item.authority or "")
            if needle and not any(needle in label.upper() for label in labels):
                continue
            found.append(item)
        return found

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
    item_nodes = child_node(root, "items")
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
