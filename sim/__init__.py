"""Discrete-event simulator of enterprise reopening policies after a lockdown."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
