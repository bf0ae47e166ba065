"""Field problems in the applicant's language, from pydantic's validation errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from approval.kernel.identifiers import IDENTIFIER_ERROR_CODES

_MESSAGES = {
    "missing": "此项必填",
    "extra_forbidden": "不认识的字段，请删除",
    "string_too_long": "内容过长，最多 {max_length} 个字符",
    "string_too_short": "内容过短，至少 {min_length} 个字符",
    "too_long": "条目过多，最多 {max_length} 项",
    "too_short": "至少填写 {min_length} 项",
    "string_pattern_mismatch": "格式不正确",
    "literal_error": "取值不在允许范围内：{expected}",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "json_invalid": "请求内容不是有效的 JSON",
    "model_type": "应为对象",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
}


def _message(error: Any) -> str:
    kind = error["type"]
    if kind in IDENTIFIER_ERROR_CODES:
        return str(error["msg"])
    if kind == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else str(error["msg"])
    template = _MESSAGES.get(kind)
    if template is None:
        return "内容不符合要求"
    try:
        return template.format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：，, ")


def field_problems(errors: Sequence[Any]) -> list[dict[str, str]]:
    """One entry per problem: the field path, a stable code and a zh-CN message."""
    problems = []
    for error in errors:
        parts = [str(part) for part in error["loc"] if part not in ("body", "header", "path")]
        field = ".".join(parts) or "body"
        problems.append({"field": field, "code": error["type"], "message": _message(error)})
    return problems


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    return field_problems(exc.errors(include_url=False))


class FieldProblem(BaseModel):
    field: str = Field(description="出错的字段路径，如 operator.id_number；整个请求为 body")
    code: str = Field(description="稳定的问题代码")
    message: str = Field(description="修改提示（中文）")


class Problem(BaseModel):
    """An RFC 9457 problem, as every refusal of this API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="urn:miaopi:problem:<code>")
    title: str = Field(description="问题（中文）")
    status: int = Field(description="HTTP 状态码")
    detail: str = Field(description="具体说明（中文）")
    code: str = Field(description="稳定的问题代码")


class ValidationProblem(Problem):
    """A refused request body or parameter: every field problem at once."""

    errors: list[FieldProblem] = Field(description="每个字段的问题")
