"""Reading YAML safely, with the line and column of every key.

PyYAML's safe loader builds plain data but forgets where each value stood and
silently keeps the last of duplicate keys. Here the document is composed into
nodes, walked once, and turned into plain data plus a map from the path of
every value (``("cadres", "liaisons", "count")``) to its position in the file.
Duplicate keys, object-constructing tags and other hazards become
:class:`~sim.errors.InputError` naming file, line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import InputError

Path_ = tuple[str | int, ...]

# libyaml's parser when PyYAML was built with it (about ten times faster), else the pure-Python one.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 200_000
MAX_DEPTH = 60
# scenario.resolved.yaml, which a run writes, spells out every default (every county's and stratum's
# settings), so it is several times the size of the file it came from: an input within the limits must
# give a resolved file that loads again. Files named *.resolved.yaml get RESOLVED_FACTOR times the limits.
RESOLVED_SUFFIX = ".resolved.yaml"
RESOLVED_FACTOR = 8


def max_file_bytes(name: str) -> int:
    """Size limit of a YAML file (larger for a resolved scenario a run wrote)."""
    return MAX_FILE_BYTES * (RESOLVED_FACTOR if name.endswith(RESOLVED_SUFFIX) else 1)


def max_nodes(name: str) -> int:
    """Value-count limit of a YAML file (larger for a resolved scenario a run wrote)."""
    return MAX_NODES * (RESOLVED_FACTOR if name.endswith(RESOLVED_SUFFIX) else 1)


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
    try:
        looked = path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link that leads back to itself
        raise InputError.single(path, f"the {what} cannot be opened: it is a symbolic link that leads (through "
                                "other links) back to itself. Point it at a real file.") from None
    if not path.exists():
        raise InputError.single(path, f"the {what} does not exist (looked at {looked}).")
    if not path.is_file():
        raise InputError.single(path, f"the {what} is not a regular file.")
    size = path.stat().st_size
    limit = max_file_bytes(path.name)
    if size > limit:
        raise InputError.single(
            path, f"the {what} is {size:,} bytes; the limit is {limit:,} bytes. "
            "Put large populations in a CSV file (population.csv) instead."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError.single(path, f"the {what} cannot be read: {exc.strerror or exc}.") from None
    if b"\x00" in raw:
        raise InputError.single(path, f"the {what} is binary (it contains NUL bytes), not text; expected UTF-8 YAML.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError.single(
            path, f"the {what} is not valid UTF-8 text (byte {exc.start}); save it as UTF-8 "
            "(in most editors: Save As, encoding UTF-8).", line=line, column=column
        ) from None


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse YAML text into data and positions; reject duplicates, unsafe tags and alias bombs."""
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise InputError.single(file, "the file is empty; expected a YAML mapping of keys to values.")
    _check_bracket_depth(text, file)
    _check_value_count(text, file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, file, text) from None
    except yaml.YAMLError as exc:
        raise InputError.single(file, f"YAML error: {exc}") from None
    except RecursionError:
        raise InputError.single(
            file, f"the document is nested too deeply; at most {MAX_DEPTH} levels are allowed.") from None
    finally:
        loader.dispose()
    doc = YamlDocument(file=file, data=None)
    if node is None:
        raise InputError.single(file, "the file is empty; expected a YAML mapping of keys to values.")
    _check_size(node, file)
    doc.data = _walk(node, (), doc, loader, [0])
    return doc


def _check_value_count(text: str, file: str) -> None:
    """Refuse, before parsing, text that must hold more than MAX_NODES values.

    Every value but the first needs a comma or a line break before it, so the
    count of those bounds the number of values written out (aliases are
    counted later). Parsing a file that big would take minutes.
    """
    separators = text.count(",") + text.count("\n")
    if separators > max_nodes(file):
        raise InputError.single(file, f"the file holds about {separators:,} values; the limit is {max_nodes(file):,}. "
                                "Put large populations in a CSV file (population.csv) instead.")


def _check_bracket_depth(text: str, file: str) -> None:
    """Refuse deeply nested ``[[[...`` or ``{{{...`` before parsing.

    PyYAML's scanner slows down with the square of the nesting depth (3,000
    brackets take many seconds) before its composer overflows the stack, so
    the depth is counted on the raw text first. Quoted text and comments are
    skipped; the count is approximate but never below the real depth.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth, line, line_start, quote, skip_to = 0, 1, 0, "", -1
    for m in _SPECIAL.finditer(text):
        i, ch = m.start(), m.group()
        if ch == "\n":
            line, line_start = line + 1, i + 1
        if i < skip_to:
            continue
        prev = text[i - 1] if i else "\n"
        if quote:
            if ch == quote and not (quote == '"' and prev == "\\"):
                quote = ""
        elif ch == "#" and prev in " \t\n":
            skip_to = text.find("\n", i)
            skip_to = len(text) if skip_to < 0 else skip_to
        elif ch in "'\"" and prev in " \t\n[{,:":
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError.single(file, f"the document is nested too deeply (more than {MAX_DEPTH} "
                                        "levels of brackets); refused.", line=line, column=i - line_start + 1)
        elif ch in "]}":
            depth = max(0, depth - 1)


_SPECIAL = re.compile(r"[\[\]{}'\"#\n]")


def _syntax_error(exc: yaml.MarkedYAMLError, file: str, text: str) -> InputError:
    """A YAML syntax error as an InputError at its line and column, with a hint where one helps."""
    mark = exc.problem_mark or exc.context_mark
    msg = str(exc.problem or exc).strip()
    if exc.context and exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
        msg += f" ({exc.context} on line {exc.context_mark.line + 1})"
    lines = text.splitlines()
    line_text = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "'\\t'" in msg or "\t" in msg or "\t" in line_text[: (mark.column + 1) if mark else 0]:
        msg += "; YAML does not allow tabs for indentation: indent with spaces"
    elif "',' or ']'" in msg or "',' or '}'" in msg:
        msg += "; a bracket or brace is probably not closed"
    elif "mapping values are not allowed" in msg:
        msg += "; a ':' inside a value needs quotes, or the indentation is off"
    elif "expected <block end>" in msg or "expected key" in msg:
        msg += "; check that keys of the same mapping are indented by the same number of spaces"
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return InputError.single(file, f"YAML syntax error: {msg}.", line=line, column=col)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _check_size(root: yaml.Node, file: str) -> None:
    """Refuse documents that expand to too many values or nest too deeply, before walking them.

    An alias (``*name``) repeats a whole anchored subtree, so nine lines can
    stand for 10⁹ values (the "billion laughs"). Sizes are computed once per
    node, so this costs time in proportion to the text, not to the expansion.
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            line, col = _mark(node)
            raise InputError.single(file, "an alias refers to the mapping or list that contains it "
                                    "(a recursive structure); scenario files must be finite trees.",
                                    line=line, column=col)
        if depth > MAX_DEPTH:
            line, col = _mark(node)
            raise InputError.single(file, f"the document is nested too deeply; at most {MAX_DEPTH} levels "
                                    "are allowed.", line=line, column=col)
        visiting.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item, depth + 1) for item in node.value)
        visiting.discard(key)
        sizes[key] = total
        if total > max_nodes(file):
            line, col = _mark(node)
            raise InputError.single(
                file, f"this value expands to more than {max_nodes(file):,} values (aliases '*name' repeat "
                "whole anchored '&name' blocks); refused. Scenario files are small: write values out, "
                "or put many enterprises in a population CSV.", line=line, column=col)
        return total

    size(root, 0)


def _walk(node: yaml.Node, path: Path_, doc: YamlDocument, loader: Any, counter: list[int]) -> Any:
    counter[0] += 1
    if counter[0] > max_nodes(doc.file):  # _check_size makes this unreachable; kept as a last guard
        line, col = _mark(node)
        raise InputError.single(doc.file, f"the document has more than {max_nodes(doc.file):,} values; refused.", line=line, column=col)
    doc.positions.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        if node.tag not in ("tag:yaml.org,2002:map",):
            _unsafe_tag(node, path, doc)
        result: dict[Any, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append(value_node)
                continue
            key = _key(key_node, path, doc, loader)
            if key in result:
                line, col = _mark(key_node)
                first = doc.key_positions.get(path + (key,), (None, None))[0]
                raise InputError.single(
                    doc.file, f"duplicate key '{key}' (first given on line {first}); each key may appear once.",
                    key=_dotted(path + (key,)), line=line, column=col)
            doc.key_positions[path + (key,)] = _mark(key_node)
            result[key] = _walk(value_node, path + (key,), doc, loader, counter)
        for merged in _merge_sources(merges, path, doc):  # YAML merge keys (<<): explicit keys win
            for key, value in _walk(merged, path, doc, loader, counter).items():
                result.setdefault(key, value)
        return result
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            _unsafe_tag(node, path, doc)
        return [_walk(item, path + (i,), doc, loader, counter) for i, item in enumerate(node.value)]
    return _scalar(node, path, doc, loader)


def _key(key_node: yaml.Node, path: Path_, doc: YamlDocument, loader: Any) -> str | int:
    """A mapping key: a plain word or a whole number."""
    line, col = _mark(key_node)
    if not isinstance(key_node, yaml.ScalarNode):
        raise InputError.single(doc.file, "a key must be a plain word or number, not a list or mapping.",
                                key=_dotted(path) or None, line=line, column=col)
    key = _scalar(key_node, path, doc, loader)
    if not isinstance(key, (str, int)) or isinstance(key, bool):
        raise InputError.single(
            doc.file, f"key {key_node.value!r} is read by YAML as a {type(key).__name__}, not a name; "
            "put it in quotes.", key=_dotted(path) or None, line=line, column=col)
    return key


def _merge_sources(values: list[yaml.Node], path: Path_, doc: YamlDocument) -> list[yaml.Node]:
    """The mappings named by merge keys (``<<: *a`` or ``<<: [*a, *b]``), earlier first."""
    out: list[yaml.Node] = []
    for value in values:
        items = value.value if isinstance(value, yaml.SequenceNode) else [value]
        for item in items:
            if not isinstance(item, yaml.MappingNode):
                line, col = _mark(item)
                raise InputError.single(doc.file, "a merge key '<<' must name a mapping (<<: *anchor) or a "
                                        "list of mappings.", key=_dotted(path) or None, line=line, column=col)
            out.append(item)
    return out


def _scalar(node: yaml.Node, path: Path_, doc: YamlDocument, loader: Any) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError:
        _unsafe_tag(node, path, doc)
    except (ValueError, TypeError, OverflowError) as exc:
        line, col = _mark(node)
        hint = ""
        if node.tag == "tag:yaml.org,2002:timestamp":
            hint = " Write a date as YYYY-MM-DD, for example 2020-02-03."
        raise InputError.single(doc.file, f"cannot read value {node.value!r}: {exc}.{hint}",
                                key=_dotted(path) or None, line=line, column=col) from None


def _unsafe_tag(node: yaml.Node, path: Path_, doc: YamlDocument) -> None:
    line, col = _mark(node)
    tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
    raise InputError.single(
        doc.file,
        f"the YAML tag '{tag}' is not allowed; scenario files hold plain values "
        "(numbers, text, dates, lists, mappings) only, and nothing in them is executed or constructed.",
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
