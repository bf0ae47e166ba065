"""Instants in answers, written as the API has always written them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

# ISO 8601 with the offset spelled out (``+00:00``), as Python and orjson write it; pydantic's own
# JSON would write ``Z`` and change every answer clients already parse
Timestamp = Annotated[
    dt.datetime,
    PlainSerializer(dt.datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
