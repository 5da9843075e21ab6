"""The course's visual style: one palette, one colormap for learning rates, one rc set.

Every figure in the course draws through :mod:`lrcourse.plots`, which applies
:data:`RC` for the duration of each plot call (``matplotlib.rc_context``), so the
learner's global matplotlib settings are never modified.

Colours
-------
Each optimizer keeps its colour across the whole course (Okabe–Ito, a
colour-blind-safe palette): plain (stochastic) gradient descent is always blue,
momentum orange, Adam vermillion, and so on.  Look a colour up with
:func:`optimizer_color`; labels that are not an optimizer's name take the next colour
of :data:`CYCLE` in order of appearance (see :func:`colors_for`).

A sweep over learning rates is coloured by the sequential colormap :data:`LR_CMAP`
(viridis without its palest yellow, so every line shows on white) on a logarithmic
scale (:func:`lr_norm`, :func:`lr_colors`), and the figure carries a colorbar.  Runs
of one optimizer at several rates are coloured the same way.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LinearSegmentedColormap, LogNorm, to_hex

from lrcourse import _validation as check

__all__ = [
    "notebook_figures",
    "RC",
    "SINGLE",
    "SIDE_BY_SIDE",
    "EXPLORER_THREE",
    "OPTIMIZER_COLORS",
    "CYCLE",
    "LR_CMAP",
    "LINESTYLES",
    "REFERENCE_COLOR",
    "DIVERGED_COLOR",
    "optimizer_color",
    "colors_for",
    "linestyles_for",
    "lr_norm",
    "lr_colors",
]

#: Figure size of a single plot at notebook width (inches).
SINGLE = (6.4, 4.0)
#: Figure size of two plots side by side (inches).
SIDE_BY_SIDE = (10.0, 4.0)
#: Figure size of an explorer with three panels (inches): at most about 1050 px
#: wide, so JupyterLab at 1280×800 (file browser open) draws it at 0.8× or more
#: and its 10 pt text stays at least 11 px tall.
EXPLORER_THREE = (10.4, 4.0)

#: rcParams applied inside every plot function (never globally).
RC = {
    "figure.figsize": SINGLE,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.framealpha": 0.85,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "lines.markersize": 4.5,
    "image.cmap": "viridis",
    "axes.formatter.use_mathtext": True,
}

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common
# colour-vision deficiencies.
_BLUE = "#0072B2"
_ORANGE = "#E69F00"
_GREEN = "#009E73"
_PURPLE = "#CC79A7"
_VERMILLION = "#D55E00"
_SKY = "#56B4E9"
_WINE = "#882255"
_OLIVE = "#8C7A00"

#: Each optimizer's colour, keyed by its normalised name (lower case, no spaces).
OPTIMIZER_COLORS = {
    "gd": _BLUE,
    "sgd": _BLUE,
    "momentum": _ORANGE,
    "heavyball": _ORANGE,
    "sgd+momentum": _ORANGE,
    "nesterov": _WINE,
    "adagrad": _GREEN,
    "rmsprop": _PURPLE,
    "adam": _VERMILLION,
    "adamw": _SKY,
}

#: Colours for labels that are not optimizer names, used in order of appearance.
CYCLE = (_BLUE, _ORANGE, _GREEN, _VERMILLION, _PURPLE, _SKY, _WINE, _OLIVE, "#555555")

#: Sequential colormap for learning-rate sweeps (always on a log scale): viridis
#: cut at 85 %, dark purple (small η) to green (large η).
LR_CMAP = LinearSegmentedColormap.from_list(
    "lrcourse_lr", colormaps["viridis"](np.linspace(0.0, 0.85, 256)))
#: Reference lines (2/λ_max, a suggestion, the minimiser).
REFERENCE_COLOR = "#333333"
#: Marks of divergence (the ✕ at a diverged run's last step, diverged sweep points).
DIVERGED_COLOR = "#C0392B"


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-()]", "", name.lower())


def optimizer_color(name: str) -> str | None:
    """The course colour of the optimizer called ``name``, or None if it has none.

    Matching ignores case, spaces, underscores, hyphens and parentheses, and also
    accepts a label that *starts* with an optimizer's name followed by a space or a
    parenthesis (``"Adam (η=0.1)"`` is Adam's colour).

    Examples
    --------
    >>> optimizer_color("RMSprop") == optimizer_color("rms_prop")
    True
    """
    name = check.text("name", name)
    key = _normalise(name)
    if key in OPTIMIZER_COLORS:
        return OPTIMIZER_COLORS[key]
    head = re.split(r"[\s(,:·]", name.strip(), maxsplit=1)[0]
    return OPTIMIZER_COLORS.get(_normalise(head))


def _sequence(name: str, values) -> list:
    """Several values (a list, tuple, array, dict keys, …; not a string or one value), as a list."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        check.fail(name, "a list of labels" if name == "labels" else "a list of colours", values,
                   error=TypeError)
    return list(values)


def colors_for(labels: Iterable[str]) -> list[str]:
    """One colour per label: the optimizer's colour if it is one, else the next free one.

    The same list of labels always gets the same colours (deterministic), and an
    optimizer's colour is never given to another label in the same figure.
    """
    labels = _sequence("labels", labels)
    fixed = [optimizer_color(str(label)) for label in labels]
    taken = {c for c in fixed if c is not None}
    free = [c for c in CYCLE if c not in taken] or list(CYCLE)
    colors, next_free = [], 0
    for color in fixed:
        if color is None:
            color = free[next_free % len(free)]
            next_free += 1
        colors.append(color)
    return colors


#: Line styles that tell apart curves sharing a colour (the same optimizer twice).
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1.5, 1, 1.5, 1, 1.5)))


def linestyles_for(colors: Iterable) -> list:
    """A line style per curve: solid for a colour's first curve, then dashed, dotted, …

    Two runs of the same optimizer (say GD at two rates) keep the optimizer's colour
    and differ by line style.
    """
    seen: dict = {}
    styles = []
    for color in _sequence("colors", colors):
        key = str(color)
        styles.append(LINESTYLES[seen.get(key, 0) % len(LINESTYLES)])
        seen[key] = seen.get(key, 0) + 1
    return styles


def lr_norm(lrs) -> LogNorm:
    """Log-scale normalisation spanning the learning rates ``lrs`` (for :data:`LR_CMAP`).

    A single rate gets a range of one decade around it, so a colorbar still reads.
    """
    lrs = check.real_array("lrs", lrs).ravel()
    if lrs.size == 0 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        check.fail("lrs", "positive finite learning rates", lrs)
    low, high = float(lrs.min()), float(lrs.max())
    if high <= low:
        low, high = low / np.sqrt(10.0), high * np.sqrt(10.0)
    return LogNorm(vmin=low, vmax=high)


def lr_colors(lrs) -> list[str]:
    """One colour per learning rate, from :data:`LR_CMAP` on the log scale of ``lrs``."""
    norm = lr_norm(lrs)
    return [to_hex(LR_CMAP(norm(float(lr)))) for lr in np.asarray(lrs, dtype=float).ravel()]


def notebook_figures() -> None:
    """Show a notebook's figures exactly as drawn, without IPython's extra "tight" pass.

    IPython's inline backend saves every figure with ``bbox_inches="tight"``, which
    draws it twice: once to measure, once to render. The course's figures lay
    themselves out (``plots.new_figure`` uses constrained layout), so the first pass
    only costs time — about a fifth of each figure's drawing, half a second per
    lesson. Each lesson calls this once in its set-up cell; outside IPython it does
    nothing. A figure laid out by hand must then fit inside its own canvas (a title
    or legend placed outside it is cut off).
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("config", "InlineBackend.print_figure_kwargs = {'bbox_inches': None}")
