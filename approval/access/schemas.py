"""What the key endpoints answer: a key's particulars, never its secret."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class KeyRead(BaseModel):
    id: str = Field(description="the key's id (not its secret)")
    role: str = Field(description="terminal, mobile, staff, rule_admin or supervisor")
    label: str | None = Field(description="a note, e.g. the terminal's location")
    subject: str | None = Field(description="mobile keys: the applicant's ID number, masked")
    hall_code: str | None = Field(description="terminal and window keys: their hall")
    department: str | None = Field(description="supervisor keys: their department")
    created_at: dt.datetime
    revoked_at: dt.datetime | None = Field(description="when it was revoked; null: active")
    revoked_by: str | None = Field(description="who revoked it (key id or operator)")


class KeyList(BaseModel):
    keys: list[KeyRead]
