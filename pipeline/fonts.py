"""The project's CJK font for matplotlib, shipped by a declared dependency.

Charts carry Chinese titles, body names and units. Matplotlib's bundled DejaVu Sans has no CJK
glyphs, so without a CJK font every character becomes a tofu box and a "Glyph missing" warning.
We do not rely on system fonts (a fresh machine has none): the `mplfonts` package (PyPI) ships
Noto Sans CJK SC under the SIL Open Font License, and we register that file with matplotlib.
mplfonts also ships SimHei.ttf, whose licence is unclear; we deliberately never use it.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path

FONT_FILE = "NotoSansCJKsc-Regular.otf"  # SIL OFL 1.1, shipped in mplfonts/fonts/


class FontMissing(RuntimeError):
    """The CJK font file is not installed (mplfonts missing or incomplete)."""


def font_path() -> Path:
    """Path of the Noto Sans CJK SC file inside the installed mplfonts package."""
    # find_spec locates the package without importing it (its import pulls in extra modules)
    spec = find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FontMissing(
            "the mplfonts package is not installed; run `pip install -e .` (it is a declared "
            "dependency and ships the CJK font the charts need)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE
    if not path.is_file():
        raise FontMissing(f"{FONT_FILE} not found in the mplfonts package at {path.parent}")
    return path


@cache
def register() -> str:
    """Add the font to matplotlib's font manager (once per process); return its family name."""
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def rc_params() -> dict:
    """Matplotlib settings that make every text element use the CJK font.

    Used as a `matplotlib.rc_context` by each chart, so importing the package never changes a
    caller's global matplotlib state.
    """
    family = register()
    return {
        "font.family": "sans-serif",
        # DejaVu Sans stays as a fallback for any symbol the CJK font lacks
        "font.sans-serif": [family, "DejaVu Sans"],
        # the ASCII hyphen-minus renders in every font; U+2212 would depend on the font
        "axes.unicode_minus": False,
        # body names and sentences may contain '$'; never parse them as TeX math
        "text.parse_math": False,
    }
