from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from approval.intake.schemas import ApplicationRead
from approval.kernel.application import ApplicationCreate


class BundleCreate(BaseModel):
    """One form for the whole bundle: the registration's fields are entered once for all parts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    application: ApplicationCreate
    hall_code: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        default=None,
        description="受理大厅编码：可省略；填写时须是本密钥所在的大厅（大厅由密钥决定）",
    )


class BundlePartRead(BaseModel):
    item_code: str = Field(description="事项编码")
    item_name: str
    status: str = Field(description="completed / received / in_progress / rejected …")
    detail: str = Field(description="该部分的办理情况")
    due_date: dt.date | None = Field(description="承诺办结日期")


class BundleRead(BaseModel):
    id: str
    bundle_code: str
    bundle_name: str
    status: str = Field(description="各部分合并后的状态")
    parts: list[BundlePartRead]
    registration: ApplicationRead = Field(description="个体工商户登记：当场决定")
