"""Reading YAML safely, with the line and column of every key.

PyYAML's safe loader builds plain data but forgets where each value stood and
silently keeps the last of duplicate keys. Here the document is composed into
nodes, walked once, and turned into plain data plus a map from the path of
every value (``("cadres", "liaisons", "count")``) to its position in the file.
Duplicate keys, object-constructing tags and other hazards become
:class:`~sim.errors.InputError` naming file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError

Path_ = tuple[str | int, ...]

MAX_FILE_BYTES = 2_000_000
MAX_NODES = 200_000


@dataclass
class YamlDocument:
    """Plain data of a YAML file and the (line, column) of each path, both 1-based."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_, of_key: bool = False) -> tuple[int | None, int | None]:
        """Position of the value at ``path`` (or of its key), else of its nearest ancestor."""
        p = tuple(path)
        if of_key and p in self.key_positions:
            return self.key_positions[p]
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (None, None))


def read_text(path: Path, what: str = "scenario file") -> str:
    """Read a small UTF-8 text file or raise a clear InputError."""
    if not path.exists():
        raise InputError.single(path, f"the {what} does not exist (looked at {path.resolve()}).")
    if not path.is_file():
        raise InputError.single(path, f"the {what} is not a regular file.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError.single(
            path, f"the {what} is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes. "
            "Put large populations in a CSV file (population.csv) instead."
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise InputError.single(path, f"the {what} is binary, not text; expected UTF-8 YAML.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            path, f"the {what} is not valid UTF-8 text (byte {exc.start}); save it as UTF-8."
        ) from None


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse YAML text into data and positions; reject duplicates and unsafe tags."""
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise InputError.single(file, "the file is empty; expected a YAML mapping of keys to values.")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = str(exc.problem or exc).strip()
        if "\t" in msg or "'\\t'" in msg:
            msg += " (YAML does not allow tabs for indentation; use spaces)"
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise InputError.single(file, f"YAML syntax error: {msg}.", line=line, column=col) from None
    except yaml.YAMLError as exc:
        raise InputError.single(file, f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    doc = YamlDocument(file=file, data=None)
    if node is None:
        raise InputError.single(file, "the file is empty; expected a YAML mapping of keys to values.")
    counter = [0]
    doc.data = _walk(node, (), doc, loader, counter)
    return doc


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(node: yaml.Node, path: Path_, doc: YamlDocument, loader: yaml.SafeLoader, counter: list[int]) -> Any:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        line, col = _mark(node)
        raise InputError.single(doc.file, f"the document has more than {MAX_NODES:,} values; refused.", line=line, column=col)
    doc.positions.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        if node.tag not in ("tag:yaml.org,2002:map",):
            _unsafe_tag(node, path, doc)
        result: dict[Any, Any] = {}
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = _mark(key_node)
                raise InputError.single(doc.file, "a key must be a plain word or number, not a list or mapping.",
                                        key=_dotted(path), line=line, column=col)
            key = _scalar(key_node, path, doc, loader)
            if isinstance(key, (bool, float)) or key is None:
                line, col = _mark(key_node)
                raise InputError.single(
                    doc.file, f"key {key_node.value!r} is read by YAML as {type(key).__name__}; quote it.",
                    key=_dotted(path), line=line, column=col)
            if key in result:
                line, col = _mark(key_node)
                first = doc.key_positions.get(path + (key,), (None, None))[0]
                raise InputError.single(
                    doc.file, f"duplicate key '{key}' (first given on line {first}); each key may appear once.",
                    key=_dotted(path + (key,)), line=line, column=col)
            doc.key_positions[path + (key,)] = _mark(key_node)
            result[key] = _walk(value_node, path + (key,), doc, loader, counter)
        return result
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            _unsafe_tag(node, path, doc)
        return [_walk(item, path + (i,), doc, loader, counter) for i, item in enumerate(node.value)]
    return _scalar(node, path, doc, loader)


def _scalar(node: yaml.Node, path: Path_, doc: YamlDocument, loader: yaml.SafeLoader) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError:
        _unsafe_tag(node, path, doc)
    except (ValueError, TypeError) as exc:
        line, col = _mark(node)
        raise InputError.single(doc.file, f"cannot read value {node.value!r}: {exc}.",
                                key=_dotted(path), line=line, column=col) from None


def _unsafe_tag(node: yaml.Node, path: Path_, doc: YamlDocument) -> None:
    line, col = _mark(node)
    raise InputError.single(
        doc.file,
        f"the YAML tag {node.tag!r} is not allowed; scenario files hold plain values "
        "(numbers, strings, lists, mappings) only.",
        key=_dotted(path) or None, line=line, column=col)


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


dotted = _dotted
