"""The catalog of approval items (事项目录), the halls that handle them, and bundles (一件事).

Every item is a standard entry: acceptance conditions, who it serves, the process, the
materials, the legal and promised time limits, the hall levels it is delegated to and the
channels it accepts. The data files under ``rules/catalog/`` are maintained by staff and are
loaded whole or refused whole, with the file and line of every problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from approval.kernel.rule_data import Problem, RuleDataError, line_at, read_rule_data

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
Code = Annotated[
    str, StringConstraints(strict=True, strip_whitespace=True, pattern=r"^[A-Z][A-Z0-9-]{1,31}$")
]


class HallLevel(StrEnum):
    CITY = "city"
    TOWNSHIP = "township"
    VILLAGE = "village"
    BANK = "bank"


class Channel(StrEnum):
    TERMINAL = "terminal"
    MOBILE = "mobile"
    WINDOW = "window"
    BANK = "bank"


class ItemKind(StrEnum):
    PERMIT = "permit"
    FILING = "filing"
    REGISTRATION = "registration"
    OTHER = "other"


# 个体工商户设立登记: the item the instant-approval path decides
REGISTRATION = "SCJG-GT-001"

KIND_LABELS = {"permit": "行政许可", "filing": "备案", "registration": "登记", "other": "其他"}
LEVEL_LABELS = {
    "city": "市政务服务中心",
    "township": "乡镇（街道）",
    "village": "村（居）",
    "bank": "银行网点",
}
CHANNEL_LABELS = {
    "terminal": "自助终端",
    "mobile": "手机 App",
    "window": "窗口",
    "bank": "银行网点",
}


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Material(_Data):
    name: Text
    fetched_from: Literal["market", "food", "realestate", "tax", "public_security"] | None = None
    note: Text | None = None

    @property
    def asked_of_applicant(self) -> bool:
        return self.fetched_from is None


class CatalogItem(_Data):
    code: Code
    name: Text
    # the words people use for it (营业执照, 开饭店, 小卖部), found by search
    aliases: tuple[Text, ...] = ()
    department: Code | None = None  # taken from the file's department when absent
    kind: ItemKind
    service_objects: tuple[Text, ...] = Field(min_length=1)
    acceptance_conditions: tuple[Text, ...] = Field(min_length=1)
    process: tuple[Text, ...] = Field(min_length=1)
    materials: tuple[Material, ...] = Field(min_length=1)
    legal_limit_days: int = Field(ge=0, le=365)
    promised_limit_days: int = Field(ge=0, le=365)
    fee: Text
    hall_levels: tuple[HallLevel, ...] = Field(min_length=1)
    channels: tuple[Channel, ...] = Field(min_length=1)
    auto_approval: bool
    legal_basis: Text

    @model_validator(mode="after")
    def _promise_within_the_law(self) -> CatalogItem:
        if self.promised_limit_days > self.legal_limit_days:
            promised, legal = self.promised_limit_days, self.legal_limit_days
            raise ValueError(f"承诺时限 {promised} 个工作日不能超过法定时限 {legal}")
        return self


class Department(_Data):
    code: Code
    name: Text


class Hall(_Data):
    code: Code
    name: Text
    level: HallLevel
    district_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    parent: Code | None = None


class Bundle(_Data):
    code: Code
    name: Text
    description: Text
    items: tuple[Code, ...] = Field(min_length=2)
    scope_hint: tuple[Text, ...] = ()


class _ItemsFile(_Data):
    department: Code | None = None
    items: tuple[CatalogItem, ...] = Field(min_length=1)


class _DepartmentsFile(_Data):
    departments: tuple[Department, ...] = Field(min_length=1)


class _HallsFile(_Data):
    halls: tuple[Hall, ...] = Field(min_length=1)


class _BundlesFile(_Data):
    bundles: tuple[Bundle, ...] = ()


class Catalog:
    def __init__(
        self,
        departments: dict[str, Department],
        items: dict[str, CatalogItem],
        halls: dict[str, Hall],
        bundles: dict[str, Bundle],
    ) -> None:
        self.departments = departments
        self.items = items
        self.halls = halls
        self.bundles = bundles

    def __iter__(self) -> Iterator[CatalogItem]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def item(self, code: str) -> CatalogItem | None:
        return self.items.get(code.strip().upper())

    def department_name(self, item: CatalogItem) -> str:
        return self.departments[item.department or ""].name

    def search(
        self, text: str = "", department: str | None = None, kind: str | None = None
    ) -> list[CatalogItem]:
        """Items whose code, name, aliases, department or legal basis contains the text."""
        needle = text.strip().lower()
        found = []
        for item in self.items.values():
            labels = (
                item.code,
                item.name,
                *item.aliases,
                self.department_name(item),
                item.legal_basis,
            )
            if needle and not any(needle in label.lower() for label in labels):
                continue
            if department and item.department != department:
                continue
            if kind and item.kind != kind:
                continue
            found.append(item)
        return found


def _line_of_entry(root: yaml.Node, key: str, index: int) -> int:
    return line_at(root, [key, index])


def load_catalog(catalog_dir: Path) -> Catalog:
    """Load departments, items, halls and bundles; raise RuleDataError naming file and line."""
    departments_path = catalog_dir / "departments.yaml"
    parsed, _ = read_rule_data(departments_path, _DepartmentsFile)
    departments = {department.code: department for department in parsed.departments}

    items: dict[str, CatalogItem] = {}
    where: dict[str, tuple[Path, int]] = {}
    for path in sorted((catalog_dir / "items").glob("*.yaml")):
        items_file, root = read_rule_data(path, _ItemsFile)
        problems = []
        for index, item in enumerate(items_file.items):
            line = _line_of_entry(root, "items", index)
            owner = item.department or items_file.department
            if owner is None:
                problems.append(Problem(line, f"事项 {item.code} 没有写明所属部门（department）"))
                continue
            if owner not in departments:
                message = f"事项 {item.code} 的部门 {owner} 不在 departments.yaml 中"
                problems.append(Problem(line, message))
                continue
            if item.code in items:
                first_path, first_line = where[item.code]
                problems.append(
                    Problem(
                        line,
                        f"事项编码 {item.code} 重复：已在 {first_path.name} 第 {first_line} 行",
                    )
                )
                continue
            items[item.code] = item.model_copy(update={"department": owner})
            where[item.code] = (path, line)
        if problems:
            raise RuleDataError(path, problems)

    halls_path = catalog_dir / "halls.yaml"
    halls_file, halls_root = read_rule_data(halls_path, _HallsFile)
    halls = {hall.code: hall for hall in halls_file.halls}
    hall_problems = [
        Problem(_line_of_entry(halls_root, "halls", i), f"大厅 {h.code} 的上级 {h.parent} 不存在")
        for i, h in enumerate(halls_file.halls)
        if h.parent is not None and h.parent not in halls
    ]
    if len(halls) != len(halls_file.halls):
        hall_problems.append(Problem(None, "大厅编码有重复"))
    if hall_problems:
        raise RuleDataError(halls_path, hall_problems)

    bundles_path = catalog_dir / "bundles.yaml"
    bundles_file, bundles_root = read_rule_data(bundles_path, _BundlesFile)
    bundle_problems = [
        Problem(
            _line_of_entry(bundles_root, "bundles", i), f"一件事 {b.code} 引用了不存在的事项 {code}"
        )
        for i, b in enumerate(bundles_file.bundles)
        for code in b.items
        if code not in items
    ]
    if bundle_problems:
        raise RuleDataError(bundles_path, bundle_problems)
    bundles = {bundle.code: bundle for bundle in bundles_file.bundles}
    return Catalog(departments, items, halls, bundles)
