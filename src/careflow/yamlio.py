"""Read YAML input files keeping the line of every key, so errors can name the line and field.

Used by every YAML format careflow reads (parameters, scenarios, business cases, category mappings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from careflow.errors import CareflowError, Finding

Path_ = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """A parsed YAML document and the 1-based line of each key path (``("levers", 0, "type")``)."""

    data: Any
    file: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), None)

    def error(self, path: Path_, message: str, rule: str = "schema") -> CareflowError:
        """A CareflowError pointing at ``path`` (a key path) in this file."""
        return CareflowError(Finding(rule=rule, message=message, file=self.file, row=self.line(path),
                                     field=".".join(str(p) for p in path) or None))


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value
            lines[path + (key,)] = k.start_mark.line + 1
            _walk(v, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, path + (i,), lines)


def _bad_scalar(node: yaml.Node | None, path: Path_ = ()) -> tuple[int, Path_] | None:
    """Line and key path of the first scalar PyYAML cannot construct (e.g. a timestamp with month 13)."""
    if isinstance(node, yaml.ScalarNode):
        try:
            yaml.SafeLoader("").construct_object(node, deep=True)
        except ValueError:
            return node.start_mark.line + 1, path
        return None
    children: list[tuple[yaml.Node, Path_]] = []
    if isinstance(node, yaml.MappingNode):
        children = [(v, path + (k.value,)) for k, v in node.value]
    elif isinstance(node, yaml.SequenceNode):
        children = [(v, path + (i,)) for i, v in enumerate(node.value)]
    for child, p in children:
        found = _bad_scalar(child, p)
        if found is not None:
            return found
    return None


def loads(text: str, file: str = "<string>") -> YamlDoc:
    """Parse YAML text; syntax errors become a CareflowError naming the line."""
    lines: dict[Path_, int] = {}
    try:
        # One parse, constructed as yaml.safe_load does; construction flattens merge keys (<<) in the node tree,
        # so a document that may have them is composed again for its line numbers.
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
        if "<<" in text or "merge" in text:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CareflowError(Finding(rule="yaml-syntax", message=f"not valid YAML: {problem}", file=file,
                                    row=row)) from None
    except ValueError as exc:  # a value that looks like a date but is not one (2025-13-01)
        row, path = _bad_scalar(yaml.compose(text, Loader=yaml.SafeLoader)) or (None, ())
        raise CareflowError(Finding(rule="yaml-syntax", message=f"not a valid date or value: {exc}", file=file, row=row,
                                    field=".".join(str(p) for p in path) or None)) from None
    if node is not None:
        _walk(node, (), lines)
    return YamlDoc(data=data, file=file, lines=lines)


def load(path: str | Path) -> YamlDoc:
    """Read and parse a YAML file; unreadable files become a CareflowError."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CareflowError(Finding(rule="file", message=f"cannot read file: {exc.strerror}", file=str(p))) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CareflowError(Finding(rule="encoding", message=f"not UTF-8 text (byte {exc.start})",
                                    file=str(p))) from None
    return loads(text, file=str(p))
