"""Rule file names that arrive as data (API drafts, stored versions) and where they may be written.

A name is a relative POSIX path inside the rules tree: ASCII segments, no ``..``, no leading
``/``, no backslash, NUL or drive, at most ``MAX_DEPTH`` levels, ending ``.yaml`` or ``.yml``.
It is checked before anything touches the disk, and the writer checks again on the way down.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

MAX_DEPTH = 3
MAX_LENGTH = 120
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_SUFFIXES = (".yaml", ".yml")


class RulePathInvalid(ValueError):
    """A rule file name that is not a plain relative path inside the rules tree."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def parse_rule_path(name: str) -> str:
    """The name itself when it is a safe relative path; RulePathInvalid (zh-CN) otherwise."""
    shown = name[:60].encode("unicode_escape").decode("ascii")
    if not name or len(name) > MAX_LENGTH:
        raise RulePathInvalid(name, f"规则文件名 {shown!r} 长度应为1至{MAX_LENGTH}个字符")
    if not name.endswith(_SUFFIXES):
        raise RulePathInvalid(name, f"规则文件名 {shown!r} 须以 .yaml 或 .yml 结尾")
    segments = name.split("/")
    if len(segments) > MAX_DEPTH:
        raise RulePathInvalid(name, f"规则文件名 {shown!r} 最多{MAX_DEPTH}层目录")
    for segment in segments:
        if segment in ("", ".", "..") or not _SEGMENT.fullmatch(segment) or ".." in segment:
            raise RulePathInvalid(
                name,
                f"规则文件名 {shown!r} 只能是规则目录内的相对路径："
                "各级名称由英文字母、数字、下划线、连字符和点组成，不能含 ..、/ 开头、反斜杠或盘符",
            )
    return name


def write_inside(root: Path, name: str, data: bytes) -> Path:
    """Write one new file under ``root``, refusing any name or link that would lead outside it."""
    parse_rule_path(name)
    *folders, file_name = name.split("/")
    here = root
    for folder in folders:
        here = here / folder
        try:
            os.mkdir(here, 0o700)
        except FileExistsError:
            if here.is_symlink() or not here.is_dir():
                message = f"规则文件 {name} 的目录不是规则目录内的普通目录"
                raise RulePathInvalid(name, message) from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        descriptor = os.open(here / file_name, flags, 0o600)
    except FileExistsError:
        raise RulePathInvalid(name, f"规则文件 {name} 重复或已存在") from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return here / file_name
