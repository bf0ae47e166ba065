"""What the public catalogue answers: the business-scope entries clients let applicants choose."""

from __future__ import annotations

from pydantic import BaseModel, Field

from approval.catalog.scope import ScopeItem, ScopeKind, ScopeTag


class ScopeEntryRead(BaseModel):
    code: str = Field(description="经营范围编码：门类字母加 4 位数字，如 F1001；申请时填写此编码")
    title: str = Field(description="规范表述，登记和营业执照上使用的原文")
    kind: ScopeKind = Field(
        description="general 一般项目；post_permit 后置许可（先登记，取得许可证后方可经营）；"
        "pre_approval 前置许可（登记时须提交许可文件，转人工审核）；filing 备案；"
        "closed 个体工商户不得经营"
    )
    tags: list[ScopeTag] = Field(
        description="fumes 产生油烟的餐饮；entertainment 娱乐场所；"
        "physical_premises_required 须有实体经营场所；food 涉及食品"
    )
    permit: str | None = Field(description="须取得的许可证或须办理的备案名称；一般项目为空")
    authority: str | None = Field(description="实施许可或备案并监管该项经营的部门；一般项目为空")
    basis: str | None = Field(description="法律依据（不得经营的项目必填）")
    aliases: list[str] = Field(description="群众常用说法，可用于搜索")
    licence_condition: str | None = Field(
        description="选择该条目时营业执照附加的条件，与执照上的文字一致；不附加条件的为空"
    )

    @classmethod
    def of(cls, item: ScopeItem) -> ScopeEntryRead:
        return cls(
            code=item.code,
            title=item.title,
            kind=item.kind,
            tags=sorted(item.tags),
            permit=item.permit,
            authority=item.authority,
            basis=item.basis,
            aliases=list(item.aliases),
            licence_condition=item.licence_condition,
        )


class ScopeCatalogPage(BaseModel):
    total: int = Field(description="符合条件的条目总数（不只是本页）")
    limit: int = Field(description="本页最多条目数")
    offset: int = Field(description="本页第一条在全部结果中的位置（从 0 起）")
    next_offset: int | None = Field(description="下一页的 offset；已是最后一页时为空")
    items: list[ScopeEntryRead] = Field(description="本页条目，按目录顺序")
