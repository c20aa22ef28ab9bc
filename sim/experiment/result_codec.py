"""A replication's full result as bytes that loading cannot execute: JSON plus the raw bytes of its arrays.

The result store (:mod:`sim.experiment.store`) keeps every finished replication of a run so that
``--resume`` can reuse it. A results folder may come from someone else, so reading it back must
not be able to run code: a pickle can (it names any callable to call), so replications are not
pickled. The format, chosen over Arrow/Parquet (an optional dependency here) and ``.npz`` (a zip
archive per replication, and strings as arrays of fixed width), is::

    b"sim-run-result/1\\n"
    8 bytes: the length of the header, little-endian
    header: UTF-8 JSON of every field of :class:`~sim.results.run_result.RunResult`; an array is
            {"$array": [dtype, shape, offset, bytes]} pointing into the payload
    payload: the arrays' bytes, each at an offset that is a multiple of 16

Loading parses JSON and makes arrays with ``numpy.frombuffer`` of plain dtypes only (numbers,
booleans, text, dates): a dtype holding Python objects, a shape that does not match the bytes, or a
truncated entry makes the entry damaged (``None``), and the replication is run again. Writing and
reading cost about what a pickle did (see the benchmark's "result store" line).
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from sim.results.run_result import RunResult

MAGIC = b"sim-run-result/1\n"
_ALIGN = 16
_PLAIN_KINDS = set("biufcUSMm")  # bool, integers, floats, complex, text, bytes, datetime, timedelta
_FIELDS = {f.name for f in dataclasses.fields(RunResult)}


class _Encoder:
    """Turns a value into JSON, collecting its arrays (and numpy scalars, as 0-d arrays) into a payload."""

    def __init__(self) -> None:
        self.chunks: list[bytes | memoryview] = []
        self.size = 0

    def node(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, np.ndarray | np.generic):
            return {"$array": self._array(np.asarray(value)) + [isinstance(value, np.generic)]}
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError("a result's mappings must have text keys to be stored")
            return {"$dict": {k: self.node(v) for k, v in value.items()}}
        if isinstance(value, list):
            if all(type(v) is str for v in value):  # e.g. the firms' ids: as they are, without a walk
                return value
            return [self.node(v) for v in value]
        if isinstance(value, tuple):
            return {"$tuple": [self.node(v) for v in value]}
        raise TypeError(f"a result holds a {type(value).__name__}, which the result store cannot keep safely; "
                        "store numbers, text, lists, mappings and numpy arrays of plain dtypes")

    def _array(self, arr: np.ndarray) -> list[Any]:
        if not _plain(arr.dtype):
            raise TypeError(f"a result holds an array of dtype {arr.dtype} (Python objects), which the result "
                            "store cannot keep safely; use arrays of numbers or text")
        data = memoryview(np.ascontiguousarray(arr).reshape(-1).view(np.uint8).data)  # its bytes, not a copy
        pad = -self.size % _ALIGN
        if pad:
            self.chunks.append(b"\0" * pad)
            self.size += pad
        offset = self.size
        self.chunks.append(data)
        self.size += data.nbytes
        return [arr.dtype.str, list(arr.shape), offset, data.nbytes]


def encode_result(result: RunResult) -> bytes:
    """The bytes the store keeps for ``result``; TypeError for a value that cannot be kept safely."""
    enc = _Encoder()
    fields = {f.name: enc.node(getattr(result, f.name)) for f in dataclasses.fields(result)}
    header = json.dumps(fields, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *enc.chunks])


def decode_result(blob: bytes) -> RunResult | None:
    """The result ``blob`` holds, or None when it is damaged or not in this format (never executes anything)."""
    try:
        if not blob.startswith(MAGIC):
            return None
        start = len(MAGIC) + 8
        length = int.from_bytes(blob[len(MAGIC):start], "little")
        fields = json.loads(blob[start:start + length].decode("utf-8"))
        payload = bytearray(memoryview(blob)[start + length:])  # one writable copy: the arrays are views of it
        if not isinstance(fields, dict) or set(fields) != _FIELDS:
            return None
        return RunResult(**{name: _decode(node, payload) for name, node in fields.items()})
    except (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError, RecursionError):
        return None


def _decode(node: Any, payload: bytearray) -> Any:
    if isinstance(node, list):
        if all(type(v) is str for v in node):
            return node
        return [_decode(v, payload) for v in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        raise ValueError("not a node of the format")
    tag, value = next(iter(node.items()))
    if tag == "$dict" and isinstance(value, dict):
        return {k: _decode(v, payload) for k, v in value.items()}
    if tag == "$tuple" and isinstance(value, list):
        return tuple(_decode(v, payload) for v in value)
    if tag == "$float" and value in ("nan", "inf", "-inf"):
        return float(value)
    if tag == "$array" and isinstance(value, list) and len(value) == 5:
        return _array(value, payload)
    raise ValueError(f"unknown node {tag!r}")


def _array(spec: list[Any], payload: bytearray) -> Any:
    dtype_text, shape, offset, size, scalar = spec
    if not isinstance(dtype_text, str) or not isinstance(shape, list) or \
            not all(isinstance(n, int) and n >= 0 for n in [*shape, offset, size]):
        raise ValueError("bad array description")
    dtype = np.dtype(dtype_text)
    if not _plain(dtype) or math.prod(shape) * dtype.itemsize != size or offset + size > len(payload):
        raise ValueError("an array that does not match its description")
    count = math.prod(shape)
    arr = np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(shape) if count else \
        np.empty(shape, dtype=dtype)
    return arr[()] if scalar is True and arr.ndim == 0 else arr


def _plain(dtype: np.dtype[Any]) -> bool:
    """Numbers, booleans, text or dates: nothing that holds (or may point to) a Python object."""
    return dtype.fields is None and not dtype.hasobject and dtype.kind in _PLAIN_KINDS
