"""Matplotlib set-up: the Agg backend, one look for every figure, and a CJK font for Chinese labels.

Nothing happens at import time; :func:`pyplot` and :func:`use_language` do
the work when a plot is drawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.errors import OutputError
from sim.plotting.labels import Lang, Words

# Families known to carry the CJK Unified Ideographs, best first.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Noto Sans CJK TC", "Noto Sans CJK JP", "Droid Sans Fallback", "AR PL UMing CN",
    "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
)
_CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "wenquanyi", "droidsansfallback",
                   "uming", "ukai", "simhei", "msyh", "pingfang")

INSTALL_HINT = ("install a CJK font, e.g. on Debian/Ubuntu `apt-get install fonts-noto-cjk` "
                "(or fonts-wqy-zenhei), then run the command again; or use --lang en")


class NoCJKFontError(OutputError):
    """Chinese labels were asked for but no font can draw them (they would be empty boxes)."""


def pyplot() -> Any:
    """matplotlib.pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def tight_layout(fig: Any, rect: tuple[float, float, float, float] | None = None) -> None:
    """Fit the figure's axes and titles inside it, once: ``fig.tight_layout`` leaves a layout engine that
    does nothing but makes every later ``savefig`` draw the whole figure an extra time before drawing it
    for the file; without it each file costs one draw and is the same."""
    fig.tight_layout(rect=rect)
    fig.set_layout_engine(None)


def find_cjk_font() -> str | None:
    """The family name of an installed CJK font, or None.

    Looks in matplotlib's font list first; its cache may predate a font
    installed later, so font files found on the system are then added to it.
    """
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    found = known()
    if found is not None:
        return found
    for file in font_manager.findSystemFonts():
        if any(hint in Path(file).name.lower().replace("-", "").replace("_", "") for hint in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(file)
            except (OSError, RuntimeError, ValueError):
                continue
    return known()


def use_language(lang: Lang) -> Words:
    """Set matplotlib's fonts for ``lang`` and return its labels; raise NoCJKFontError for Chinese
    without a CJK font."""
    import matplotlib

    pyplot()
    matplotlib.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.fontsize": 8,
        "axes.titlesize": 11,
        # titles sit on the top of their axes (no ticks are drawn above an axes, so matplotlib's automatic
        # placement puts them there too, at the cost of measuring every tick label at each draw)
        "axes.titley": 1.0,
        "svg.fonttype": "path",  # SVGs render the same without the font installed
        "axes.unicode_minus": False,
    })
    cjk = find_cjk_font()
    if lang == "zh" and cjk is None:
        raise NoCJKFontError(f"Chinese labels (--lang zh) need a CJK font and none was found; {INSTALL_HINT}.")
    # The English labels quote the source's Chinese terms, so a CJK font is the fallback there too.
    families = ["DejaVu Sans"] + ([cjk] if cjk else [])
    if lang == "zh" and cjk:
        families = [cjk, "DejaVu Sans"]
    # A list of families (not the generic "sans-serif") lets matplotlib fall back glyph by glyph.
    matplotlib.rcParams["font.family"] = families
    return Words(lang, cjk is not None)
