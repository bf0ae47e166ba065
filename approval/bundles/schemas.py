from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from approval.kernel.application import ApplicationCreate


class BundleCreate(BaseModel):
    """One form for the whole bundle: the registration's fields are entered once for all parts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    application: ApplicationCreate
    hall_code: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        default=None,
        description="受理大厅编码：可省略；填写时须是本密钥所在的大厅（大厅由密钥决定）",
    )
