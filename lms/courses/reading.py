"""Reading one YAML file of a course: plain data plus the line and column of every key and value.

ruamel.yaml composes the file into nodes that keep their marks (line and column); this module turns the nodes
into dicts, lists and scalars itself so that it can report every duplicate key, alias, tag
or over-deep nesting at its exact place instead of stopping at the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from lms.courses.problems import Problems

DataPath = tuple[str | int, ...]
Position = tuple[int, int]

MAX_FILE_BYTES = 1024 * 1024
# Course files nest about eight levels; anything far deeper is a mistake or an attack.
MAX_DEPTH = 40

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass
class Document:
    """A YAML file as plain data, with positions (1-based line and column) of its nodes."""

    file: str
    data: Any = None
    values: dict[DataPath, Position] = field(default_factory=dict)
    keys: dict[DataPath, Position] = field(default_factory=dict)
    # The text as written of scalars that were not read as text (numbers, booleans, null).
    raw: dict[DataPath, str] = field(default_factory=dict)

    def value_at(self, path: DataPath) -> Position:
        """Where the value at `path` starts (or its nearest enclosing node)."""
        while path and path not in self.values:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def key_at(self, path: DataPath) -> Position:
        """Where the key of the entry at `path` is; for list items and the root, the value."""
        return self.keys.get(path) or self.value_at(path)

    def get(self, path: DataPath) -> Any:
        """The data at `path`, or None when the path does not exist."""
        node = self.data
        for part in path:
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return None
        return node


def _tag(node: Node) -> str:
    tag = node.tag
    return str(getattr(tag, "value", tag))


def _position(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _line_column(text: str, index: int) -> Position:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _number(text: str, tag: str) -> int | float | str:
    cleaned = text.replace("_", "")
    try:
        if tag.endswith(":int"):
            if cleaned.lower().startswith(("0x", "0o", "-0x", "+0x", "-0o", "+0o")):
                return int(cleaned, 0)
            return int(cleaned, 10)
        lowered = cleaned.lower()
        if lowered.lstrip("+-") in {".inf", ".nan"}:
            return float(lowered.replace(".", ""))
        return float(cleaned)
    except ValueError:
        return text


class _Converter:
    def __init__(self, document: Document, problems: Problems) -> None:
        self.document = document
        self.problems = problems
        self.seen: set[int] = set()

    def error(self, position: Position, message: str) -> None:
        self.problems.error(self.document.file, position, message)

    def convert(self, node: Node, path: DataPath, depth: int) -> Any:
        position = _position(node)
        self.document.values[path] = position
        if id(node) in self.seen:
            anchor = getattr(node, "anchor", None)
            self.error(
                self.document.key_at(path),
                _(
                    "YAML aliases (*%(anchor)s) are not supported: write the value out in full",
                    anchor=str(getattr(anchor, "value", anchor) or "alias"),
                ),
            )
            return None
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            self.error(position, _("the data is nested too deeply (more than %(n)d levels)", n=MAX_DEPTH))
            return None
        tag = _tag(node)
        if isinstance(node, ScalarNode):
            return self.scalar(node, tag, path, position)
        if isinstance(node, SequenceNode):
            if tag != _CORE + "seq":
                self.error(position, _("unsupported YAML tag %(tag)s", tag=tag))
            return [self.convert(item, (*path, index), depth + 1) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if tag != _CORE + "map":
                self.error(position, _("unsupported YAML tag %(tag)s", tag=tag))
            return self.mapping(node, path, depth)
        return None

    def scalar(self, node: ScalarNode, tag: str, path: DataPath, position: Position) -> Any:
        text = str(node.value)
        if "\x00" in text:
            # Written as "\0" in a quoted string: no database column can store it.
            self.error(position, _("the text contains a NUL character (\\0): remove it"))
        if tag not in _SCALAR_TAGS:
            self.error(position, _("unsupported YAML tag %(tag)s", tag=tag))
            return text
        if tag.endswith((":str", ":timestamp")):
            # Dates and times are kept as text: every field of the format is text or a number.
            return text
        self.document.raw[path] = text
        if tag.endswith(":null"):
            return None
        if tag.endswith(":bool"):
            return text.lower() == "true"
        return _number(text, tag)

    def mapping(self, node: MappingNode, path: DataPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            key_position = _position(key_node)
            if _tag(key_node) == _CORE + "merge":
                self.error(key_position, _("YAML merge keys (<<) are not supported: write the fields out"))
                continue
            if not isinstance(key_node, ScalarNode):
                self.error(key_position, _("a key must be plain text, not a list or a mapping"))
                continue
            key = str(key_node.value)
            if key in first_seen:
                line, _column = first_seen[key]
                self.error(
                    key_position,
                    _("duplicate key '%(key)s' (first given on line %(line)d)", key=key, line=line),
                )
                continue
            first_seen[key] = key_position
            self.document.keys[(*path, key)] = key_position
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        return result


def read_yaml(path: Path, file: str, problems: Problems) -> Document | None:
    """Read the YAML file at `path`, reporting problems under `file` (its path in the course).

    Returns None when the file cannot be read as YAML at all; otherwise the document, whose
    data may still be of any shape (the caller checks it against the schema).
    """
    document = Document(file)
    try:
        raw = path.read_bytes()
    except OSError as error:
        problems.error(file, (1, 1), _("cannot read the file: %(reason)s", reason=error.strerror or error))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.error(file, (1, 1), _("the file is larger than %(n)d KB", n=MAX_FILE_BYTES // 1024))
        return None
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = raw[: error.start].decode("utf-8", errors="replace")
        problems.error(
            file,
            _line_column(prefix, len(prefix)),
            _("the file is not UTF-8 text (byte 0x%(byte)02x); save it as UTF-8", byte=raw[error.start]),
        )
        return None
    if not text.strip():
        problems.error(file, (1, 1), _("the file is empty"))
        return None
    try:
        # The pure-Python safe composer keeps every node's mark and resolves tags as YAML 1.2;
        # the round-trip one would also gather comments, which nothing here needs, at twice the cost.
        root = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = ": ".join(str(part) for part in (error.context, error.problem) if part)
        problems.error(file, position, _("malformed YAML: %(detail)s", detail=message))
        return None
    except ReaderError as error:
        problems.error(
            file,
            _line_column(text, error.position),
            _(
                "the file contains a character that YAML does not allow (%(code)s)",
                code=f"U+{error.character:04X}",
            )
            if isinstance(error.character, int)
            else _("the file contains a character that YAML does not allow"),
        )
        return None
    except YAMLError as error:
        problems.error(file, (1, 1), _("malformed YAML: %(detail)s", detail=str(error).splitlines()[0]))
        return None
    except RecursionError:
        problems.error(file, (1, 1), _("the data is nested too deeply"))
        return None
    if root is None:
        problems.error(file, (1, 1), _("the file is empty"))
        return None
    document.data = _Converter(document, problems).convert(root, (), 0)
    return document
