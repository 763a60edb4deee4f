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


# Limits: careflow's YAML files are a few kilobytes, a few levels deep, with a handful of anchors. Far beyond any
# real file, these stop hostile ones: an anchor bomb ("billion laughs": nested aliases that expand to billions of
# nodes), a recursive alias, or thousands of nested brackets (Python's recursion limit) give a finding instead of
# a hang or a traceback.
MAX_BYTES = 5_000_000
MAX_DEPTH = 64  # nesting of mappings and sequences
MAX_ALIASES = 1_000  # *alias references in one file
MAX_NODES = 200_000  # values in the document once every alias is expanded


class _Limit(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None = None):
        super().__init__(message)
        self.message, self.mark = message, mark


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, counting nesting depth and aliases while it composes the node tree."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Limit(f"more than {MAX_ALIASES} aliases (*name)", event.start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Limit(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose aliases expand past MAX_NODES values or refer to themselves (iteratively: no
    recursion on hostile input)."""
    size: dict[int, int] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            in_progress.discard(id(node))
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            if size[id(node)] > MAX_NODES:
                raise _Limit(f"aliases expand to more than {MAX_NODES:,} values (an anchor bomb?)",
                             node.start_mark)
            continue
        if id(node) in size:
            continue
        if id(node) in in_progress:
            raise _Limit("an alias refers to the collection that contains it", node.start_mark)
        in_progress.add(id(node))
        stack.append((node, True))
        for c in children:
            if id(c) in in_progress:
                raise _Limit("an alias refers to the collection that contains it", c.start_mark)
            if id(c) not in size:
                stack.append((c, False))


def _compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is not None:
        _check_expansion(node)
    return node


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    # Iterative: the tree is within MAX_DEPTH and MAX_NODES (checked before), but no recursion is needed.
    stack = [(node, path)]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark.line + 1)
                lines[path + (key,)] = k.start_mark.line + 1
                stack.append((v, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in reversed(list(enumerate(node.value))):
                stack.append((v, path + (i,)))


def _bad_scalar(node: yaml.Node | None, path: Path_ = ()) -> tuple[int, Path_] | None:
    """Line and key path of the first scalar PyYAML cannot construct (e.g. a timestamp with month 13)."""
    stack = [(node, path)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                yaml.SafeLoader("").construct_object(node, deep=True)
            except ValueError:
                return node.start_mark.line + 1, path
        elif isinstance(node, yaml.MappingNode):
            stack.extend(reversed([(v, path + (k.value,)) for k, v in node.value]))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(v, path + (i,)) for i, v in enumerate(node.value)]))
    return None


def loads(text: str, file: str = "<string>") -> YamlDoc:
    """Parse YAML text; syntax errors and files past the limits become a CareflowError naming the line."""
    lines: dict[Path_, int] = {}
    if len(text) > MAX_BYTES:
        raise CareflowError(Finding(rule="yaml-limit", message=f"file larger than {MAX_BYTES:,} characters",
                                    file=file))
    try:
        # Composed with the limits first (depth, aliases, expansion), then constructed as yaml.safe_load does.
        # Construction flattens merge keys (<<) in the node tree, so the lines come from a second composition.
        node = _compose(text)
        data = None
        if node is not None:
            loader = _Loader("")
            try:
                data = loader.construct_document(node)
            finally:
                loader.dispose()
            if "<<" in text or "merge" in text:
                node = _compose(text)
    except _Limit as exc:
        row = exc.mark.line + 1 if exc.mark is not None else None
        raise CareflowError(Finding(rule="yaml-limit", message=f"refused: {exc.message}", file=file,
                                    row=row)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CareflowError(Finding(rule="yaml-syntax", message=f"not valid YAML: {problem}", file=file,
                                    row=row)) from None
    except (ValueError, OverflowError) as exc:  # a value that looks like a date but is not one (2025-13-01)
        row, path = _bad_scalar(_compose(text)) or (None, ())
        raise CareflowError(Finding(rule="yaml-syntax", message=f"not a valid date or value: {exc}", file=file, row=row,
                                    field=".".join(str(p) for p in path) or None)) from None
    except RecursionError:  # cannot happen within MAX_DEPTH; kept so no input gives a traceback
        raise CareflowError(Finding(rule="yaml-limit", message="refused: nested too deeply", file=file)) from None
    if node is not None:
        _walk(node, (), lines)
    return YamlDoc(data=data, file=file, lines=lines)


def load(path: str | Path) -> YamlDoc:
    """Read and parse a YAML file; unreadable files become a CareflowError."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise CareflowError(Finding(rule="yaml-limit", message=f"file larger than {MAX_BYTES:,} bytes",
                                        file=str(p)))
        raw = p.read_bytes()
    except OSError as exc:
        raise CareflowError(Finding(rule="file", message=f"cannot read file: {exc.strerror}", file=str(p))) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CareflowError(Finding(rule="encoding", message=f"not UTF-8 text (byte {exc.start})",
                                    file=str(p))) from None
    return loads(text, file=str(p))
