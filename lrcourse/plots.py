"""The course's figures.

Every function here *draws* arrays and results that something else computed
(:class:`lrcourse.train.RunResult`, :class:`lrcourse.tune.SweepResult`,
:class:`lrcourse.tune.FinderResult`, schedules, a problem's ``loss``); none of them
optimises.  Each returns ``(fig, ax)``, accepts an optional ``ax=`` to draw into an
existing axes, and applies the course style (:mod:`lrcourse.style`) for the duration
of the call only.

Conventions
-----------
- Colours: an optimizer keeps its colour everywhere (:func:`lrcourse.style.colors_for`);
  several learning rates are coloured by a sequential colormap on a log scale with a
  colorbar.
- Steps: a run's loss curve has ``steps + 1`` points, ``f(x_0), …, f(x_T)`` — the
  recorded losses before each step and the final loss after the last one.
- Divergence: a diverged run is drawn up to its divergence step and marked there
  with ✕ and "diverged at step N".
- Contours: ``x₁`` on the horizontal axis, ``x₂`` on the vertical one
  (``np.meshgrid(xs, ys, indexing="xy")``; ``Z[i, j] = f(xs[j], ys[i])``).

The classes :class:`TrajectoryArtist` and :class:`LossCurveArtist` are the updatable
pieces the figures are built from; :mod:`lrcourse.widgets` moves them on every slider
change instead of drawing a new figure.
"""

from __future__ import annotations

import functools
import io
import math
from typing import Callable, Mapping

import matplotlib as mpl
import matplotlib.artist  # noqa: F401  (mpl.artist.Artist)
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Patch
from matplotlib.ticker import LogLocator

from lrcourse import _validation as check
from lrcourse import style
from lrcourse.schedules import _HOW_TO_VECTORISE, _VECTORISED

__all__ = [
    "figure",
    "new_figure",
    "figure_to_png",
    "contour_trajectory",
    "trajectory_1d",
    "loss_axes",
    "threshold_line",
    "minimiser_marker",
    "pad_limits",
    "loss_curves",
    "schedule_curves",
    "finder_curve",
    "sweep_curve",
    "rate_map",
    "stability_plot",
    "curves",
    "prediction_check",
    "outcome_map",
    "numbered_valleys",
    "outcome_shares",
    "seed_strips",
    "schedule_gallery",
    "plateau_history",
    "BOUNCES",
    "DIVERGES",
    "trajectory_legend",
    "TrajectoryArtist",
    "LossCurveArtist",
    "PointArtist",
    "CourseFigure",
    "CourseAxes",
    "SparseMinorLogLocator",
]


# --------------------------------------------------------------------------- helpers

_STYLE_DEPTH = [0]  # calls under way inside the course style (nested calls skip the context)


def _styled(function: Callable) -> Callable:
    """Run a plot function inside the course's rc context (never touching globals)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if _STYLE_DEPTH[0]:
            return function(*args, **kwargs)
        _STYLE_DEPTH[0] += 1
        try:
            with mpl.rc_context(style.RC):
                return function(*args, **kwargs)
        finally:
            _STYLE_DEPTH[0] -= 1

    return wrapper


#: The Axes methods that read the style when called (line widths, marker and font
#: sizes, grid lines of new ticks): a :class:`CourseAxes` runs them in the course style.
_STYLED_METHODS = (
    "plot", "semilogx", "semilogy", "loglog", "scatter", "errorbar", "bar", "barh", "hist", "step",
    "stairs", "fill_between", "fill_betweenx", "axhline", "axvline", "axhspan", "axvspan", "text",
    "annotate", "legend", "pcolormesh", "imshow", "contour", "contourf", "set_title", "set_xlabel",
    "set_ylabel", "set_xscale", "set_yscale", "set_xticks", "set_yticks", "set", "twinx", "twiny",
    "grid", "clear",
)


class CourseAxes(Axes):
    """An Axes that draws in the course style whatever a lesson calls on it.

    :func:`figure` (and :func:`new_figure`) make these: ``ax.plot``, ``ax.legend``,
    ``ax.set_title``, … run inside :data:`lrcourse.style.RC`, so a lesson adds its
    own lines to a course figure without a ``with plt.rc_context(style.RC):``
    block, and matplotlib's global settings are never changed.
    """

    name = "lrcourse"


for _method in _STYLED_METHODS:
    setattr(CourseAxes, _method, _styled(getattr(Axes, _method)))
del _method


class SparseMinorLogLocator(LogLocator):
    """Minor ticks (2…9 × 10ᵏ) on a log axis only when it spans few decades.

    Over ``max_decades`` decades the labelled decade ticks and their grid already
    say where values lie; the unlabelled minor ticks add nothing to read but cost
    most of a figure's drawing time (a two-panel log–log figure drew in 0.8 s with
    them and 0.3 s without).  On a short range they stay, because there they carry
    the labels.
    """

    def __init__(self, base: float = 10.0, max_decades: float = 3.0):
        super().__init__(base=check.Interval(1, math.inf)("base", base), subs="auto")
        self.max_decades = check.positive("max_decades", max_decades)

    def tick_values(self, vmin, vmax):
        if vmin > 0 and vmax > 0 and abs(np.log(vmax / vmin) / np.log(self._base)) > self.max_decades:
            return np.array([])
        return super().tick_values(vmin, vmax)


class CourseFigure(Figure):
    """A matplotlib Figure that, when drawn, thins the minor ticks of its log axes.

    The locator is installed at draw time, so it also covers axes a lesson switches
    to a log scale after the figure was made (``set_xscale`` resets locators).  Only
    matplotlib's default minor locator is replaced; one a lesson set itself is kept.
    """

    def draw(self, renderer):
        for ax in self.axes:
            for axis in (ax.xaxis, ax.yaxis):
                locator = axis.get_minor_locator()
                if axis.get_scale() == "log" and type(locator) is LogLocator:
                    axis.set_minor_locator(SparseMinorLogLocator(base=locator._base))
        _styled(super().draw)(renderer)     # ticks made while drawing take the course style too

    def suptitle(self, t, **kwargs):
        """The figure's title, in the course style."""
        return _styled(super().suptitle)(t, **kwargs)

    def legend(self, *args, **kwargs):
        """A legend for the whole figure, in the course style."""
        return _styled(super().legend)(*args, **kwargs)


class _Color(check.Constraint):
    """A colour matplotlib draws (``matplotlib.colors.is_color_like``), not a bool."""

    text = ("a matplotlib colour (a name such as 'C0', 'tab:blue' or 'black', a hex string "
            "'#1f77b4', or an RGB(A) tuple of numbers in [0, 1])")
    plural = "matplotlib colours"

    def accepts(self, value) -> bool:
        return not isinstance(value, (bool, np.bool_)) and mpl.colors.is_color_like(value)

    def error(self, value) -> type:
        return ValueError if isinstance(value, (str, tuple, list, np.ndarray)) else TypeError


class _LineStyle(check.Constraint):
    """A named line style or a dash pattern ``(offset, (on, off, …))`` in points."""

    names = ("-", "--", "-.", ":", "solid", "dashed", "dashdot", "dotted", "None", "none", "", " ")
    text = ("a matplotlib line style ('-', '--', '-.', ':', 'solid', 'dashed', 'dashdot', 'dotted', "
            "'None') or a dash pattern (offset, (on, off, …)) of positive lengths")
    plural = "matplotlib line styles"

    def accepts(self, value) -> bool:
        if isinstance(value, str):
            return value in self.names
        if not (isinstance(value, tuple) and len(value) == 2):
            return False
        offset, dashes = value
        return (check.is_real(offset) and np.ndim(offset) == 0 and math.isfinite(float(offset))
                and isinstance(dashes, (tuple, list)) and len(dashes) > 0 and len(dashes) % 2 == 0
                and check.is_real(dashes) and all(math.isfinite(float(d)) and d > 0 for d in dashes))

    def error(self, value) -> type:
        return ValueError if isinstance(value, (str, tuple)) else TypeError


class _Marker(check.Constraint):
    """None (no marker) or a marker matplotlib knows ('o', 's', '^', 'x', '*', …)."""

    text = "None or a matplotlib marker ('o', 's', '^', 'v', 'x', '+', '*', '.', 'D', …)"

    def accepts(self, value) -> bool:
        if value is None:
            return True
        if isinstance(value, (bool, np.bool_, np.ndarray)):
            return False
        try:
            MarkerStyle(value)
        except (TypeError, ValueError):
            return False
        return True

    def error(self, value) -> type:
        return ValueError if isinstance(value, str) else TypeError


class _FigureSize(check.Constraint):
    """A figure's (width, height) in inches: positive, at most 100 (10,000 pixels at 100 dpi)."""

    text = "None or a pair (width, height) of positive inches, each at most 100"

    def accepts(self, value) -> bool:
        if value is None:
            return True
        if isinstance(value, (str, bytes)) or not check.is_real(value) or np.shape(value) != (2,):
            return False
        size = np.asarray(value, dtype=float)
        return bool(np.all(np.isfinite(size) & (size > 0) & (size <= 100)))

    def error(self, value) -> type:
        return ValueError if isinstance(value, (tuple, list, np.ndarray)) else TypeError


class _Artists(check.Constraint):
    """Extra legend entries: matplotlib artists (lines, patches, an explorer's markers)."""

    text = "a list of matplotlib artists (legend handles, e.g. the lines ax.plot returned)"

    def accepts(self, value) -> bool:
        return (isinstance(value, (list, tuple)) and
                all(isinstance(item, mpl.artist.Artist) for item in value))

    def error(self, value) -> type:
        return TypeError


_COLOR, _LINESTYLE, _MARKER, _FIGSIZE, _ARTISTS = _Color(), _LineStyle(), _Marker(), _FigureSize(), _Artists()
#: Contour levels when given as a count.
_LEVEL_COUNT = check.Interval(1, 100, "both", integer=True)


def _colors(colors, count: int, each: str = "curve"):
    """None, or a list of ``count`` matplotlib colours (one per ``each``)."""
    return None if colors is None else check.ListOf(_COLOR, count, each)("colors", colors)


def _texts(**values) -> None:
    """Check text arguments (titles, axis labels, legend entries): each None or a string."""
    for name, value in values.items():
        check.optional_text(name, value)


def _share(name: str, value):
    """sharex / sharey: True, False, "row" or "col" (not 0 or 1)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not isinstance(value, str) or value not in ("row", "col"):
        check.fail(name, "True, False, 'row' or 'col'", value,
                   error=ValueError if isinstance(value, str) else TypeError)
    return value


def _figure_size(nrows: int, ncols: int):
    """Default inches: the course's single and side-by-side sizes, 3.2 more per extra row."""
    width = style.SINGLE[0] if ncols == 1 else min(style.SIDE_BY_SIDE[0] + 1.5 * (ncols - 2), 13.0)
    height = style.SINGLE[1] if nrows == 1 else 3.2 * nrows + 0.6
    return (width, height)


def _ratios(name: str, value, count: int, what: str):
    if value is None:
        return None
    ratios = _positive_lrs(name, value)
    if ratios.size != count:
        check.fail(name, f"a sequence of {count} positive numbers (one per {what})", value)
    return ratios


@_styled
def figure(nrows: int = 1, ncols: int = 1, *, figsize=None, sharex=False, sharey=False,
           width_ratios=None, height_ratios=None, title=None, layout="constrained", gridspec_kw=None,
           pyplot: bool = True, **subplot_kw):
    """A figure of ``nrows × ncols`` axes that carry the course style.

    The axes are :class:`CourseAxes`: every ``ax.plot``, ``ax.legend``,
    ``ax.set_title`` … a lesson calls on them runs in :data:`lrcourse.style.RC`, and
    so does drawing the figure, so no ``with plt.rc_context(style.RC):`` block is
    needed.  The layout is matplotlib's constrained layout.

    Parameters
    ----------
    nrows, ncols : int in [1, 20]
    figsize : (width, height) in inches, optional
        Default: 6.4 × 4 for one axes, 10 wide for two columns, 3.2 inches more per
        extra row.
    sharex, sharey : bool, "row" or "col"
        Share the x (y) axis among all axes, within rows or within columns
        (matplotlib's ``subplots``); inner tick labels are then hidden.
    width_ratios, height_ratios : sequences of positive numbers, optional
        Relative column widths and row heights.
    title : str, optional
        The figure's title (``suptitle``).
    layout : "constrained" or None
        matplotlib's constrained layout (the default: titles, labels and legends
        outside the axes get room), or None: the spacing given in ``gridspec_kw``
        (``{"wspace": 0.3, "left": 0.07, …}``), which draws faster — about a tenth
        of a second per multi-panel figure — but must leave room for everything.
    gridspec_kw : dict, optional
        Spacing for ``layout=None`` (matplotlib's ``GridSpec`` arguments).
    pyplot : bool
        True registers the figure with pyplot, so a notebook shows it at the end of
        the cell; False makes a standalone figure on an Agg canvas (the widgets).

    Returns
    -------
    (fig, ax) for one axes, (fig, axes) with axes a 1-D array for one row or one
    column, and a 2-D array ``axes[row, col]`` otherwise.
    """
    nrows = check.panel_count("nrows", nrows)
    ncols = check.panel_count("ncols", ncols)
    sharex, sharey = _share("sharex", sharex), _share("sharey", sharey)
    pyplot = check.boolean("pyplot", pyplot)
    figsize = _FIGSIZE("figsize", figsize)
    width_ratios = _ratios("width_ratios", width_ratios, ncols, "column")
    height_ratios = _ratios("height_ratios", height_ratios, nrows, "row")
    title = check.optional_text("title", title)
    layout = check.OneOf("constrained", None)("layout", layout)
    if gridspec_kw is not None and (not isinstance(gridspec_kw, Mapping) or layout is not None):
        check.fail("gridspec_kw", "None, or a dict of GridSpec spacing with layout=None", gridspec_kw,
                   error=TypeError if not isinstance(gridspec_kw, Mapping) else ValueError)
    if figsize is None:
        figsize = _figure_size(nrows, ncols)
    if pyplot:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize, layout=layout, FigureClass=CourseFigure)
    else:
        fig = CourseFigure(figsize=figsize, layout=layout)
        FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=sharex, sharey=sharey,
                        subplot_kw={"axes_class": CourseAxes, **subplot_kw}, gridspec_kw=gridspec_kw,
                        width_ratios=width_ratios, height_ratios=height_ratios)
    if title:
        fig.suptitle(title)
    if nrows == ncols == 1:
        return fig, axes[0, 0]
    return fig, (axes.ravel() if 1 in (nrows, ncols) else axes)


def new_figure(ncols: int = 1, *, figsize=None, pyplot: bool = True, width_ratios=None, **subplot_kw):
    """A figure in the course style with ``ncols`` axes side by side
    (:func:`figure` with one row; kept for the widgets and older cells).

    Returns ``(fig, ax)`` for one column, ``(fig, axes)`` otherwise.
    """
    return figure(1, ncols, figsize=figsize, pyplot=pyplot, width_ratios=width_ratios, **subplot_kw)


class _Axes(check.Constraint):
    """A matplotlib Axes to draw on (a course figure's, or any other)."""

    text = "a matplotlib Axes"

    def accepts(self, value) -> bool:
        return isinstance(value, Axes)

    def error(self, value) -> type:
        return TypeError


_AXES = _Axes()


def _figure_and_axes(ax):
    if ax is None:
        return new_figure()
    if not isinstance(ax, Axes):
        check.fail("ax", "a matplotlib Axes or None", ax, error=TypeError)
    return ax.figure, ax


#: Legend places: matplotlib's, plus "outside" (right of the axes) and "below".
_LEGEND_LOC = check.OneOf("outside", "below", "best", "upper right", "upper left", "lower left",
                          "lower right", "right", "center left", "center right", "lower center",
                          "upper center", "center")
#: The same, or None: no legend.
_LEGEND_LOC_OR_NONE = check.OneOf(*_LEGEND_LOC.choices, None)


def _problem_of_dim(problem, dim: int, other: str):
    """A problem with ``loss(x)`` and ``dim == dim`` (``other`` names the plot for the other dim)."""
    if isinstance(problem, type) or not callable(getattr(problem, "loss", None)):
        check.fail("problem", f"a {dim}-D problem (an object with loss(x) and dim == {dim})",
                   problem if isinstance(problem, type) or problem is None
                   else check.Described(f"an object of type {type(problem).__name__}"), error=TypeError)
    if getattr(problem, "dim", dim) != dim:
        check.fail("problem", f"a {dim}-D problem (dim == {dim})", problem, f"use {other} for a "
                   f"{problem.dim}-D problem")
    return problem


def _positive_lrs(name: str, value) -> np.ndarray:
    """A 1-D array of positive finite numbers (learning rates, eigenvalues)."""
    array = check.real_array(name, value).ravel()
    if array.size == 0 or not np.all(np.isfinite(array) & (array > 0)):
        check.fail(name, "a non-empty array of positive finite numbers", value)
    return array


def _rgba_png(canvas) -> bytes:
    """Encode the canvas's current Agg buffer as PNG (fast zlib level)."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def figure_to_png(fig, *, draw: bool = True) -> bytes:
    """The figure rendered to PNG bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    draw : bool
        True renders the whole figure first.  False encodes the canvas as it was
        last rendered (after a widget has blitted its moving parts onto it).
    """
    if not isinstance(fig, Figure):
        check.fail("fig", "a matplotlib Figure", fig, error=TypeError)
    draw = check.boolean("draw", draw)
    canvas = fig.canvas
    if not hasattr(canvas, "buffer_rgba"):
        canvas = FigureCanvasAgg(fig)
    if draw:
        with mpl.rc_context(style.RC):
            canvas.draw()
    return _rgba_png(canvas)


def _result_curves(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A RunResult as ``(losses (T+1, K), diverged_at (K,), lrs (K,))``.

    ``losses[t] = f(x_t)``: the recorded losses followed by the final loss.
    """
    loss = np.asarray(result.loss, dtype=float)
    if loss.ndim == 1:
        loss = loss[:, None]
    final = np.asarray(result.final_loss, dtype=float).reshape(1, -1)
    curves = np.vstack([loss, final])
    diverged_at = np.asarray(result.diverged_at, dtype=int).reshape(-1)
    with np.errstate(invalid="ignore"):
        lr_record = np.asarray(result.lr, dtype=float)
        if lr_record.ndim == 1:
            lr_record = lr_record[:, None]
        first_lr = lr_record[0] if lr_record.shape[0] else np.full(curves.shape[1], np.nan)
    return curves, diverged_at, first_lr


def _is_run_result(obj) -> bool:
    return all(hasattr(obj, name) for name in ("loss", "final_loss", "diverged_at"))


def _as_xy(name: str, trajectory) -> np.ndarray:
    """A 2-D trajectory as an array of shape (T, 2) (RunResult with one run allowed)."""
    if _is_run_result(trajectory):
        if trajectory.trajectory is None:
            check.fail(name, "a RunResult recorded with keep_trajectory=True", "a RunResult without trajectory")
        trajectory = trajectory.trajectory
    xy = check.real_array(name, trajectory)
    if xy.ndim == 3 and xy.shape[1] == 1:
        xy = xy[:, 0, :]
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] < 1:
        check.fail(name, "an array of shape (T, 2) (or a 2-D run kept with keep_trajectory=True)",
               check.Described(f"shape {xy.shape}"))
    return xy


def _clip_far(xy: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Drop non-finite rows, then cut the path at the first point outside ``box``.

    The cut point is where the segment leaving the box crosses it, so the drawn
    direction of a diverging path is exact while coordinates stay drawable.
    """
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    x0, x1, y0, y1 = box
    outside = (xy[:, 0] < x0) | (xy[:, 0] > x1) | (xy[:, 1] < y0) | (xy[:, 1] > y1)
    if not outside.any():
        return xy
    first = int(np.argmax(outside))
    if first == 0:
        return xy[:1] if xy.size else xy
    a, b = xy[first - 1], xy[first]
    d = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        ts = [t for t in ((x0 - a[0]) / d[0], (x1 - a[0]) / d[0], (y0 - a[1]) / d[1], (y1 - a[1]) / d[1])
              if np.isfinite(t) and 0 <= t <= 1]
    t = min(ts) if ts else 0.0
    return np.vstack([xy[:first], a + t * d])


def _labels(labels, count: int, default: Callable[[int], str], name: str = "labels",
            each: str = "curve") -> list[str]:
    if labels is None:
        return [default(i) for i in range(count)]
    return check.ListOf(check.text, count, each)(name, labels)


def _run_lr(item) -> float:
    """The first learning rate a RunResult used (NaN for anything else)."""
    if not _is_run_result(item):
        return float("nan")
    with np.errstate(invalid="ignore"):
        lr = np.asarray(item.lr, dtype=float)
    return float(lr.reshape(lr.shape[0], -1)[0, 0]) if lr.size else float("nan")


def _curve_styles(labels, lrs, colors=None):
    """Colours and line styles for curves named ``labels`` (run at rates ``lrs``).

    Each optimizer keeps its course colour.  When *all* curves would share one (GD
    at three rates) and every rate is known and distinct, they are coloured by η on
    the learning-rate colormap instead; curves sharing a colour otherwise differ by
    line style.
    """
    colors = _colors(colors, len(labels))
    if colors is not None:
        return colors, style.linestyles_for(colors)
    colors = style.colors_for(labels)
    lrs = np.asarray(lrs, dtype=float)
    one_colour = len(colors) > 1 and len(set(colors)) == 1
    if (one_colour and lrs.size == len(labels) and np.all(np.isfinite(lrs) & (lrs > 0))
            and len(np.unique(lrs)) == lrs.size):
        return style.lr_colors(lrs), ["-"] * len(labels)
    return colors, style.linestyles_for(colors)


def _set_title(ax, title):
    if title:
        ax.set_title(title)


def _colorbar_for_lrs(fig, ax, norm, label="learning rate η"):
    mappable = mpl.cm.ScalarMappable(norm=norm, cmap=style.LR_CMAP)
    mappable.set_array([])
    bar = fig.colorbar(mappable, ax=ax, pad=0.02)
    bar.set_label(label)
    return bar


def _fmt(value: float) -> str:
    """A number for a label: 3 significant digits."""
    return f"{value:.3g}"


# ----------------------------------------------------------------- updatable artists

class TrajectoryArtist:
    """A trajectory on a contour plot: the path with markers, its start and its end.

    Parameters
    ----------
    ax : Axes
    color : colour
    label : str
        Legend label of the path.
    clip_box : (x0, x1, y0, y1) or None
        A diverging path is cut where it leaves this box (default: the axes' view
        widened by 25 view-widths on every side), so huge coordinates never reach
        the renderer.

    ``update(xy)`` moves the artists to a new path of shape ``(T, 2)``.
    """

    #: At most this many markers along a path (longer paths show every k-th iterate).
    max_markers = 60

    def __init__(self, ax, color, label: str = "", *, clip_box=None, markersize=None,
                 linestyle="-"):
        self.ax = _AXES("ax", ax)
        color, label, linestyle = _COLOR("color", color), check.text("label", label), _LINESTYLE("linestyle", linestyle)
        if clip_box is not None:
            box = check.real_array("clip_box", clip_box, finite=True)
            if box.shape != (4,) or not (box[0] < box[1] and box[2] < box[3]):
                check.fail("clip_box", "None or (x0, x1, y0, y1) with x0 < x1 and y0 < y1", clip_box)
            clip_box = tuple(float(v) for v in box)
        self.clip_box = clip_box
        size = mpl.rcParams["lines.markersize"] if markersize is None else check.positive("markersize", markersize)
        (self.path,) = ax.plot([], [], marker="o", linestyle=linestyle, color=color, label=label,
                               markersize=size, linewidth=1.5, alpha=0.95, zorder=4)
        (self.start,) = ax.plot([], [], "o", markersize=size + 4.5, markerfacecolor="white",
                                markeredgecolor=color, markeredgewidth=2, zorder=5)
        (self.end,) = ax.plot([], [], "D", markersize=size + 2.5, markerfacecolor=color,
                              markeredgecolor="black", markeredgewidth=0.8, zorder=6)

    @property
    def artists(self) -> tuple:
        return (self.path, self.start, self.end)

    def set_color(self, color) -> None:
        """Recolour the path (an explorer switching optimizer)."""
        self.path.set_color(color)
        self.start.set_markeredgecolor(color)
        self.end.set_markerfacecolor(color)

    def end_in_view(self) -> bool:
        """Whether the end ◆ lies inside the axes' view (a diverged path's does not)."""
        x, y = self.end.get_xdata(), self.end.get_ydata()
        if not len(x) or not self.end.get_visible():
            return False
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        return bool(min(x0, x1) <= x[0] <= max(x0, x1) and min(y0, y1) <= y[0] <= max(y0, y1))

    def _box(self):
        if self.clip_box is not None:
            return self.clip_box
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        w, h = abs(x1 - x0), abs(y1 - y0)
        return (min(x0, x1) - 25 * w, max(x0, x1) + 25 * w, min(y0, y1) - 25 * h, max(y0, y1) + 25 * h)

    def update(self, xy) -> None:
        """Redraw the path from ``xy``, shape (T, 2)."""
        xy = check.real_array("xy", xy)
        if xy.ndim != 2 or xy.shape[1] != 2:
            check.fail("xy", "an array of shape (T, 2)", check.Described(f"shape {xy.shape}"))
        xy = _clip_far(xy, self._box())
        if xy.shape[0] == 0:
            for artist in self.artists:
                artist.set_data([], [])
            return
        self.path.set_data(xy[:, 0], xy[:, 1])
        self.path.set_markevery(max(1, int(np.ceil(xy.shape[0] / self.max_markers))))
        self.start.set_data(xy[:1, 0], xy[:1, 1])
        self.end.set_data(xy[-1:, 0], xy[-1:, 1])


class LossCurveArtist:
    """One loss curve: the line, and for a diverged run an ✕ with "diverged at step N".

    ``update(losses, diverged_at=-1)`` redraws the curve from ``losses[t] = f(x_t)``
    (NaN where nothing was recorded); a run with ``diverged_at ≥ 0`` is drawn up to
    that step and marked there.  The note sits just *below* the ✕, on the side of it
    with room for the text, so it never reaches the title above the axes.

    ``ceiling`` (an explorer's divergence threshold) caps the height of the ✕: a run
    is stopped where its loss crosses the threshold, so the mark sits on the
    threshold line however far the last loss overshot.
    """

    def __init__(self, ax, color, label: str = "", *, linewidth=None, alpha=1.0,
                 annotate: bool = True, linestyle="-", ceiling: float | None = None):
        self.ax = _AXES("ax", ax)
        color, label, linestyle = _COLOR("color", color), check.text("label", label), _LINESTYLE("linestyle", linestyle)
        self.annotate = check.boolean("annotate", annotate)
        self.ceiling = None if ceiling is None else check.positive("ceiling", ceiling)
        alpha = check.Interval(0, 1, closed="both")("alpha", alpha)
        linewidth = mpl.rcParams["lines.linewidth"] if linewidth is None else check.positive("linewidth", linewidth)
        (self.line,) = ax.plot([], [], linestyle=linestyle, color=color, label=label, alpha=alpha,
                               linewidth=linewidth, zorder=3)
        (self.cross,) = ax.plot([], [], "X", color=style.DIVERGED_COLOR, markersize=10,
                                markeredgecolor="white", markeredgewidth=0.8, zorder=5, clip_on=False)
        self.text = ax.annotate("", (0, 1), xytext=(6, -8), textcoords="offset points",
                                color=style.DIVERGED_COLOR, fontsize=10, zorder=6, va="top",
                                annotation_clip=False,
                                bbox=dict(boxstyle="square,pad=0.1", facecolor="white",
                                          edgecolor="none", alpha=0.8))
        self.text.set_visible(False)
        for artist in (self.cross, self.text):  # may sit on the edge; never resize the axes
            artist.set_in_layout(False)

    @property
    def artists(self) -> tuple:
        return (self.line, self.cross, self.text)

    def set_color(self, color) -> None:
        self.line.set_color(color)

    def update(self, losses, diverged_at: int = -1, steps=None) -> None:
        """Redraw from ``losses[i]`` recorded at ``steps[i]`` (default ``0, 1, 2, …``)."""
        losses = check.real_array("losses", losses)
        if losses.ndim != 1:
            check.fail("losses", "a 1-D array (one run's losses)", check.Described(f"shape {losses.shape}"))
        steps = np.arange(losses.size) if steps is None else check.real_array("steps", steps).reshape(-1)
        if steps.shape != losses.shape:
            check.fail("steps", f"an array of the shape of losses {losses.shape}",
                       check.Described(f"shape {steps.shape}"))
        if diverged_at is not None:
            diverged_at = check.integer("diverged_at", diverged_at)
        if diverged_at is None or diverged_at < 0:
            self.line.set_data(steps, losses)
            self.cross.set_data([], [])
            self.text.set_visible(False)
            return
        keep = steps <= diverged_at
        shown, at = losses[keep], steps[keep]
        finite = np.flatnonzero(np.isfinite(shown))
        self.line.set_data(at, shown)
        self.text.set_text(f"diverged at step {diverged_at}")
        self.text.set_visible(self.annotate and finite.size > 0)
        if not finite.size:
            self.cross.set_data([], [])
            return
        last = int(finite[-1])
        y = shown[last]
        if self.ceiling is not None:
            y = min(y, self.ceiling)
        if not self.ax.get_autoscaley_on():
            # A blow-up above a fixed axis: mark it on the top edge.
            y = min(y, max(self.ax.get_ylim()))
        self.cross.set_data([at[last]], [y])
        self.text.xy = (at[last], y)
        self.place_note()

    def place_note(self) -> None:
        """Put the note right of the ✕ if it fits inside the axes there, else left.

        Call again after the axes' limits change (``loss_curves`` does, after
        autoscaling)."""
        if not self.text.get_visible():
            return
        fig = self.ax.figure
        x_px = self.ax.transData.transform(self.text.xy)[0]
        box = self.ax.get_window_extent()
        renderer = getattr(fig.canvas, "get_renderer", fig._get_renderer)()
        width = self.text.get_window_extent(renderer).width + 8 * fig.dpi / 72
        fits_right = x_px + width <= box.x1 or box.x1 - x_px >= x_px - box.x0
        self.text.set_horizontalalignment("left" if fits_right else "right")
        self.text.set_position((6, -8) if fits_right else (-6, -8))


class PointArtist:
    """One movable marker (the current (η, β) on a rate map, the current η on a sweep).

    ``update(x, y)`` moves it.
    """

    def __init__(self, ax, label: str = "current setting", *, color="#00d0ff", marker="o"):
        label, color, marker = check.text("label", label), _COLOR("color", color), _MARKER("marker", marker)
        (self.marker,) = _AXES("ax", ax).plot([], [], marker, markerfacecolor="none", markeredgecolor=color,
                                 markeredgewidth=2.4, markersize=12, label=label, zorder=8,
                                 linestyle="")

    @property
    def artists(self) -> tuple:
        return (self.marker,)

    def update(self, x: float, y: float) -> None:
        """Move the marker to ``(x, y)`` (NaN hides it)."""
        self.marker.set_data([check.real("x", x)], [check.real("y", y)])


# ------------------------------------------------------------------------- contours

def minimiser_marker(ax):
    """The minimiser ★ :func:`contour_trajectory` drew on ``ax`` (or None); an
    explorer draws it after the moving paths, so a converged path's end ◆ never
    hides it."""
    return next((line for line in _AXES("ax", ax).lines if line.get_label() == "minimiser"), None)


def _minimizer(problem):
    for name in ("minimizer", "global_minimizer"):
        point = getattr(problem, name, None)
        if point is not None:
            point = np.asarray(point, dtype=float)
            if np.all(np.isfinite(point)):
                return point
    return None


def _plot_range(problem, dim: int):
    """The problem's own suggested view (``plot_range``), or None."""
    box = getattr(problem, "plot_range", None)
    if box is None:
        return None
    try:
        box = np.asarray(box, dtype=float)
    except (TypeError, ValueError):
        return None
    expected = (2,) if dim == 1 else (dim, 2)
    if box.shape != expected or not np.all(np.isfinite(box)):
        return None
    return box


def _default_box(trajectories: list[np.ndarray], minimizer, base=None) -> tuple[float, float, float, float]:
    """A view around the problem's ``plot_range`` (``base``), the starts, the
    minimiser and the part of every path near them."""
    anchors = [xy[0] for xy in trajectories]
    if minimizer is not None:
        anchors.append(minimizer.reshape(2))
    if base is not None:
        anchors += [base[:, 0], base[:, 1]]
    if not anchors:
        return (-2.0, 2.0, -2.0, 2.0)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged path's far points
        return _box_around(np.array(anchors), trajectories, minimizer, base)


def _box_around(anchors, trajectories, minimizer, base):
    center = minimizer.reshape(2) if minimizer is not None else anchors.mean(axis=0)
    reach = max(float(np.max(np.linalg.norm(anchors - center, axis=1))), 1e-3)
    points = [anchors]
    for xy in trajectories:
        finite = xy[np.all(np.isfinite(xy), axis=1)]
        near = np.linalg.norm(finite - center, axis=1) <= 2.5 * reach
        points.append(finite[near])
    points = np.vstack(points)
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.maximum(high - low, 0.15 * reach)
    # A landscape box, between 5:4 and 5:3, so equal-aspect contours fill a notebook-wide axes.
    width, height = span
    if width < 1.25 * height:
        width = 1.25 * height
    if height < 0.6 * width:
        height = 0.6 * width
    mid = (low + high) / 2
    pad = 1.0 if base is not None else 1.15
    return (mid[0] - pad * width / 2, mid[0] + pad * width / 2,
            mid[1] - pad * height / 2, mid[1] + pad * height / 2)


def _levels(Z: np.ndarray, levels) -> np.ndarray:
    """Contour levels: log-spaced when the values span decades and are positive."""
    if not isinstance(levels, (int, np.integer)) or isinstance(levels, bool):
        array = check.real_array("levels", levels).ravel()
        if array.size < 2 or not np.all(np.diff(array) > 0):
            check.fail("levels", "an int or an increasing array of at least 2 levels", levels)
        return array
    count = _LEVEL_COUNT("levels", levels)
    finite = Z[np.isfinite(Z)]
    low, high = float(finite.min()), float(finite.max())
    floor = float(np.percentile(finite, 0.5))
    if low >= 0 and high > 0 and high / max(floor, high * 1e-12) > 100:
        bottom = max(floor, high * 1e-6)
        return np.geomspace(bottom, high, count + 1)[:-1]
    return np.linspace(low, high, count + 2)[1:-1]


def _trajectory_list(trajectories, labels, shape: str):
    """(list of trajectories, labels): a dict gives its keys as labels; one run or array is a list of one."""
    if isinstance(trajectories, Mapping):
        return list(trajectories.values()), [str(k) for k in trajectories] if labels is None else labels
    if _is_run_result(trajectories) or isinstance(trajectories, np.ndarray):
        return [trajectories], labels
    if not isinstance(trajectories, (list, tuple)):
        check.fail("trajectories", f"a path (an array of shape {shape} or a RunResult kept with "
                   "keep_trajectory=True), or a list or dict of them", trajectories, error=TypeError)
    return list(trajectories), labels


@_styled
def contour_trajectory(problem, trajectories=(), labels=None, ax=None, xlim=None, ylim=None,
                       levels=14, *, colors=None, resolution=200, equal_aspect=True,
                       title=None, legend=True, legend_loc="outside"):
    """Contours of a 2-D problem with optimisation paths drawn on top.

    Parameters
    ----------
    problem : 2-D problem
        Anything with ``loss(x)`` for ``x`` of shape ``(..., 2)`` (a ``Quadratic``,
        ``Rosenbrock``).  ``minimizer`` (or ``global_minimizer``) is marked ★.
    trajectories : array (T, 2), a RunResult kept with ``keep_trajectory=True``,
        or a list / dict of them
        Each path gets a line with markers, its start ○ and its end ◆.  A dict's
        keys are the labels.
    labels : list of str, optional
    xlim, ylim : (low, high), optional
        View box; by default it frames the starts, the minimiser and the paths near
        them (a diverging path leaves the frame, as it should).
    levels : int in [1, 100], or an increasing array
        Number of contour levels (log-spaced when the loss spans more than two
        decades, as on Rosenbrock) or the levels themselves.
    colors : list, optional
        One colour per path; default: each optimizer's course colour.
    resolution : int in [2, 2000]
        Grid points per axis.
    equal_aspect : bool
        One unit is the same length on both axes, so the gradient is drawn at a
        right angle to the contours.
    legend, legend_loc : bool, str
        Draw a legend; ``"outside"`` puts it right of the axes, any matplotlib
        ``loc`` puts it inside.

    Notes
    -----
    The grid is ``X, Y = np.meshgrid(xs, ys, indexing="xy")`` and
    ``Z = problem.loss(np.stack([X, Y], -1))``, so ``Z[i, j] = f(xs[j], ys[i])``:
    columns follow x₁ (horizontal), rows follow x₂ (vertical).
    """
    problem = _problem_of_dim(problem, 2, "trajectory_1d")
    trajectories, labels = _trajectory_list(trajectories, labels, "(T, 2)")
    paths = [_as_xy(f"trajectories[{i}]", t) for i, t in enumerate(trajectories)]
    labels = _labels(labels, len(paths), lambda i: f"path {i + 1}" if len(paths) > 1 else "path")
    colors, dashes = _curve_styles(labels, [_run_lr(t) for t in trajectories], colors)
    xlim = None if xlim is None else check.limits("xlim", xlim)
    ylim = None if ylim is None else check.limits("ylim", ylim)
    resolution = check.grid_points("resolution", resolution)
    equal_aspect = check.boolean("equal_aspect", equal_aspect)
    title = check.optional_text("title", title)
    legend = check.boolean("legend", legend)
    legend_loc = _LEGEND_LOC("legend_loc", legend_loc)

    fig, ax = _figure_and_axes(ax)
    minimizer = _minimizer(problem)
    box = _default_box(paths, minimizer, _plot_range(problem, 2))
    x0, x1 = xlim if xlim is not None else box[:2]
    y0, y1 = ylim if ylim is not None else box[2:]

    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    X, Y = np.meshgrid(xs, ys, indexing="xy")
    with np.errstate(over="ignore", invalid="ignore"):
        Z = np.asarray(problem.loss(np.stack([X, Y], axis=-1)), dtype=float)
    levels = _levels(Z, levels)
    log_levels = np.all(levels > 0) and levels[-1] / levels[0] > 100
    norm = mpl.colors.LogNorm(levels[0] / 10, levels[-1]) if log_levels else None
    finite_z = Z[np.isfinite(Z)]
    top = max(float(finite_z.max()), levels[-1]) + abs(levels[-1]) * 1e-4
    bottom = levels[0] / 10 if log_levels else min(float(finite_z.min()), levels[0])
    bottom -= abs(bottom) * 1e-4 + 1e-300
    fill_levels = np.concatenate([[bottom], levels, [top]])
    with np.errstate(invalid="ignore"):
        Z_fill = np.clip(Z, bottom + abs(bottom) * 1e-5, top)
    ax.contourf(X, Y, Z_fill, levels=fill_levels,
                cmap="Blues_r", norm=norm, alpha=0.35, extend="neither", zorder=0)
    ax.contour(X, Y, Z, levels=levels, colors="#4a5a6a", linewidths=0.6, alpha=0.7, zorder=1)

    if minimizer is not None:
        ax.plot(*minimizer.reshape(2), "*", color=style.REFERENCE_COLOR, markersize=14,
                markeredgecolor="white", markeredgewidth=0.8, label="minimiser", zorder=7)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if equal_aspect:
        ax.set_aspect("equal", adjustable="box")
    clip = (x0 - 25 * (x1 - x0), x1 + 25 * (x1 - x0), y0 - 25 * (y1 - y0), y1 + 25 * (y1 - y0))
    for xy, label, color, dash in zip(paths, labels, colors, dashes):
        TrajectoryArtist(ax, color, label, clip_box=clip, linestyle=dash).update(xy)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
    _set_title(ax, title if title is not None else f"{getattr(problem, 'name', 'loss')}: contours of f")
    if legend and (paths or minimizer is not None):
        trajectory_legend(ax, with_markers=bool(paths), loc=legend_loc)
    return fig, ax


def trajectory_legend(ax, with_markers=True, loc="outside", *, end=True):
    """The legend of a trajectory plot: every labelled artist, plus the start ○ and
    end ◆ markers (``with_markers``; ``end=False`` leaves out the end, e.g. when every
    path's end lies off the plot); ``loc="outside"`` puts it right of the axes,
    ``loc="below"`` under the axis label in two columns (for a small panel); any
    other ``loc`` puts it inside, with an opaque frame above every line.

    A legend entry shows its artist's line and marker even if the artist is hidden
    or animated when the legend is made (an explorer draws it later)."""
    ax = _AXES("ax", ax)
    with_markers, end = check.boolean("with_markers", with_markers), check.boolean("end", end)
    loc = _LEGEND_LOC("loc", loc)
    handles, labels = ax.get_legend_handles_labels()
    if with_markers:
        handles += [Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                           markeredgecolor="#555555", markeredgewidth=2, markersize=9)]
        labels += ["start"]
        if end:
            handles += [Line2D([], [], marker="D", linestyle="", markerfacecolor="#999999",
                               markeredgecolor="black", markersize=7)]
            labels += ["end"]
    if loc == "outside":
        legend = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                           borderaxespad=0.0, fontsize=10, frameon=False)
    elif loc == "below":
        # 34 points under the axes: below the tick labels and the axis label.
        under = mpl.transforms.offset_copy(ax.transAxes, fig=ax.figure, y=-34, units="points")
        legend = ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                           bbox_transform=under, borderaxespad=0.0, fontsize=10, frameon=False,
                           ncol=2, columnspacing=1.2, handletextpad=0.4)
    else:
        legend = ax.legend(handles, labels, loc=loc, fontsize=10, framealpha=1.0)
        legend.set_zorder(20)
    _show_handles(legend)
    return legend


def _show_handles(legend) -> None:
    """Legend handles copy their artist's visibility and animation when made: an
    artist hidden at that moment would leave a blank entry.  Show them all."""
    for handle in legend.legend_handles:
        if handle is not None:
            handle.set_visible(True)
            handle.set_animated(False)


def _path_xlim(problem, paths: list, minimizer) -> tuple[float, float]:
    """:func:`trajectory_1d`'s default x range: the starts, the minimiser and the
    problem's ``plot_range`` (the anchors), and the iterates within 2.5 times the
    anchors' reach of the centre (the minimiser, else the anchors' mean); padded by a
    tenth unless the problem's own range is among the anchors.  A diverged path's far
    iterates are left off."""
    anchors = [p[0] for p in paths if p.size and np.isfinite(p[0])]
    if minimizer is not None:
        anchors.append(float(minimizer.reshape(-1)[0]))
    base = _plot_range(problem, 1)
    if base is not None:
        anchors += [float(base[0]), float(base[1])]
    anchors = np.array(anchors) if anchors else np.array([-1.0, 1.0])
    center = float(minimizer.reshape(-1)[0]) if minimizer is not None else float(anchors.mean())
    reach = max(float(np.max(np.abs(anchors - center))), 0.5)
    near = [p[np.isfinite(p) & (np.abs(p - center) <= 2.5 * reach)] for p in paths]
    points = np.concatenate([anchors] + near)
    low, high = float(points.min()), float(points.max())
    pad = 0.0 if base is not None else 0.1 * max(high - low, reach)
    return low - pad, high + pad


@_styled
def trajectory_1d(problem, trajectories=(), labels=None, ax=None, xlim=None, *,
                  colors=None, resolution=600, title=None, legend=True):
    """A 1-D objective f(x) with the iterates of one or more runs drawn on it.

    Each run's iterates ``x_t`` appear as points ``(x_t, f(x_t))`` joined in order
    (so a zig-zag across the valley is visible), with the start ○ and the end ◆.
    ``problem.local_minima`` (if any) are ticked and the minimiser marked ★.

    Parameters
    ----------
    problem : 1-D problem (``dim == 1``)
    trajectories : array (T,) or (T, 1), RunResult with a trajectory, list or dict
    xlim : (low, high), optional
        Default: the starts, the minimiser and the nearby iterates.
    """
    problem = _problem_of_dim(problem, 1, "contour_trajectory")
    xlim = None if xlim is None else check.limits("xlim", xlim)
    resolution = check.grid_points("resolution", resolution)
    legend = check.boolean("legend", legend)
    title = check.optional_text("title", title)
    trajectories, labels = _trajectory_list(trajectories, labels, "(T,)")
    paths = []
    for i, t in enumerate(trajectories):
        if _is_run_result(t):
            if t.trajectory is None:
                check.fail(f"trajectories[{i}]", "a RunResult recorded with keep_trajectory=True",
                       "a RunResult without trajectory")
            t = t.trajectory
        xs = check.real_array(f"trajectories[{i}]", t)
        if xs.ndim == 0 or xs.shape[0] == 0 or (xs.ndim > 1 and any(n != 1 for n in xs.shape[1:])):
            check.fail(f"trajectories[{i}]", "a non-empty array of shape (T,) or (T, 1)",
                       t if xs.ndim == 0 else check.Described(f"shape {xs.shape}"))
        xs = xs.reshape(-1)
        paths.append(xs)
    labels = _labels(labels, len(paths), lambda i: f"run {i + 1}" if len(paths) > 1 else "run")
    colors, dashes = _curve_styles(labels, [_run_lr(t) for t in trajectories], colors)

    fig, ax = _figure_and_axes(ax)
    minimizer = _minimizer(problem)
    if xlim is None:
        xlim = _path_xlim(problem, paths, minimizer)
    grid = np.linspace(float(xlim[0]), float(xlim[1]), resolution)
    with np.errstate(over="ignore", invalid="ignore"):
        f = np.asarray(problem.loss(grid[:, None]), dtype=float)
    ax.plot(grid, f, color="#4a5a6a", linewidth=1.6, zorder=1, label="f(x)")
    minima = getattr(problem, "local_minima", None)
    if minima is not None:
        minima = np.asarray(minima, dtype=float)
        shown = minima[(minima >= xlim[0]) & (minima <= xlim[1])]
        if shown.size:
            with np.errstate(over="ignore", invalid="ignore"):
                fm = np.asarray(problem.loss(shown[:, None]), dtype=float)
            ax.plot(shown, fm, "v", color="#888888", markersize=7, zorder=2, label="local minima",
                    linestyle="")
    if minimizer is not None:
        m = float(minimizer.reshape(-1)[0])
        ax.plot([m], [float(np.asarray(problem.loss(np.array([[m]])), dtype=float).ravel()[0])], "*",
                color=style.REFERENCE_COLOR, markersize=14, markeredgecolor="white",
                label="minimiser", zorder=7)
    ax.set_xlim(*xlim)
    y_low, y_high = np.nanmin(f[np.isfinite(f)]), np.nanmax(f[np.isfinite(f)])
    y_pad = 0.08 * (y_high - y_low or 1.0)
    ax.set_ylim(y_low - y_pad, y_high + y_pad)
    for xs, label, color, dash in zip(paths, labels, colors, dashes):
        with np.errstate(over="ignore", invalid="ignore"):
            fx = np.asarray(problem.loss(xs[:, None]), dtype=float)
        xy = _clip_far(np.column_stack([xs, fx]),
                       (xlim[0] - 25 * (xlim[1] - xlim[0]), xlim[1] + 25 * (xlim[1] - xlim[0]),
                        y_low - 25 * (y_high - y_low + 1), y_high + 25 * (y_high - y_low + 1)))
        TrajectoryArtist(ax, color, label, linestyle=dash).update(xy)
    ax.set_xlabel("parameter x")
    ax.set_ylabel("loss f(x)")
    _set_title(ax, title if title is not None else f"{getattr(problem, 'name', 'f')}: iterates on f(x)")
    if legend:
        trajectory_legend(ax, with_markers=bool(paths))
    return fig, ax


# ---------------------------------------------------------------------- loss curves

@_styled
def loss_axes(ax=None, *, steps=None, logy=True, title="Loss curves", ylabel="loss f(xₜ)"):
    """Empty loss-against-step axes in the course style (what :func:`loss_curves`
    draws into, and what an explorer fills with :class:`LossCurveArtist`)."""
    steps = None if steps is None else check.step_count("steps", steps)
    logy = check.boolean("logy", logy)
    _texts(title=title, ylabel=ylabel)
    fig, ax = _figure_and_axes(ax)
    if logy:
        ax.set_yscale("log", nonpositive="mask")
    if steps is not None:
        ax.set_xlim(0, steps)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins="auto", integer=True))  # steps are whole numbers
    ax.set_xlabel("step t")
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    return fig, ax


def threshold_line(ax, threshold: float, text: str = "divergence threshold 10⁴·f(x₀)"):
    """A dotted horizontal line at the loss where :func:`lrcourse.train.run` stops a
    run (its ``divergence_threshold``), labelled above its left end; returns
    ``(line, label)`` (an explorer draws the label after its moving curves, so none
    runs through it).

    The label keeps 9 points above the line, clear of a diverged run's ✕ (drawn on
    the line by a :class:`LossCurveArtist` with ``ceiling=threshold``), whose note
    goes below the line; the axes need room above the line for it (the explorers'
    loss limits leave it).  It sits on an opaque white box, above the curves.
    """
    ax = _AXES("ax", ax)
    threshold = check.positive("threshold", threshold)
    text = check.text("text", text)
    line = ax.axhline(threshold, color=style.DIVERGED_COLOR, linestyle=":", linewidth=1.1, zorder=2)
    label = ax.annotate(text, (0.01, threshold), xycoords=("axes fraction", "data"), xytext=(0, 9),
                        textcoords="offset points", color=style.DIVERGED_COLOR, fontsize=10,
                        va="bottom", zorder=20, bbox=dict(boxstyle="square,pad=0.15", facecolor="white",
                                                          edgecolor="none", alpha=1.0))
    label.set_in_layout(False)  # inside the axes once their limits are set
    return line, label


@_styled
def loss_curves(results, ax=None, logy=True, labels=None, *, colors=None, title="Loss curves",
                ylabel="loss f(xₜ)", colorbar=True, legend=True):
    """Loss against step for one or more runs.

    Parameters
    ----------
    results : RunResult, array, or a dict / list of them
        A RunResult contributes one curve per run (``f(x_0) … f(x_T)``: the recorded
        losses and the final loss).  A RunResult carrying several learning rates
        is coloured by η on a log colormap with a colorbar; named results (a dict,
        e.g. ``{"SGD": r1, "Adam": r2}``) by their optimizer colours.  A plain
        array is one curve (shape (T,)) or one per column (shape (T, K)).
    logy : bool
        Log-scale loss axis (the default: losses span decades).
    labels : list of str, optional
        One per curve.

    A diverged run is drawn up to the step where it was stopped and marked ✕ with
    "diverged at step N".
    """
    if isinstance(results, Mapping):
        names, items = list(results.keys()), list(results.values())
    elif isinstance(results, (list, tuple)):
        names, items = None, list(results)
    else:
        names, items = None, [results]

    logy, colorbar, legend = (check.boolean(name, value) for name, value in
                              (("logy", logy), ("colorbar", colorbar), ("legend", legend)))
    _texts(title=title, ylabel=ylabel)
    curves, divergence, curve_names, lr_of_curve = [], [], [], []
    for i, item in enumerate(items):
        if _is_run_result(item):
            losses, diverged_at, lrs = _result_curves(item)
        else:
            losses = check.real_array(f"results[{i}]", item)
            if losses.ndim == 1:
                losses = losses[:, None]
            if losses.ndim != 2:
                check.fail(f"results[{i}]", "a RunResult or an array of shape (T,) or (T, K)",
                       check.Described(f"shape {losses.shape}"))
            diverged_at = np.full(losses.shape[1], -1)
            lrs = np.full(losses.shape[1], np.nan)
        K = losses.shape[1]
        for k in range(K):
            if logy:
                _on_log_axis(f"results[{i}]", losses[:, k], "y")
            curves.append(losses[:, k])
            divergence.append(int(diverged_at[k]))
            lr_of_curve.append(float(lrs[k]))
            base = str(names[i]) if names is not None else None
            if K > 1 and np.isfinite(lrs[k]):
                name = f"η = {_fmt(lrs[k])}" if base is None else f"{base}, η = {_fmt(lrs[k])}"
            elif base is not None:
                name = base
            else:
                name = f"run {len(curve_names) + 1}"
            curve_names.append(name)

    labels = _labels(labels, len(curves), lambda i: curve_names[i])
    colors = _colors(colors, len(curves))
    lr_sweep = (names is None and len(items) == 1 and len(curves) > 1
                and np.all(np.isfinite(lr_of_curve)) and colors is None)
    fig, ax = loss_axes(ax, logy=logy, title=title, ylabel=ylabel)
    if lr_sweep:
        norm = style.lr_norm(lr_of_curve)
        colors, dashes = style.lr_colors(lr_of_curve), ["-"] * len(curves)
    else:
        colors, dashes = _curve_styles(labels, lr_of_curve, colors)
    artists = [LossCurveArtist(ax, color, label, annotate=len(curves) <= 6, linestyle=dash)
               for label, color, dash in zip(labels, colors, dashes)]
    for artist, losses, at in zip(artists, curves, divergence):
        artist.update(losses, at)
    ax.relim()
    ax.autoscale_view()
    ax.set_xlim(left=0)
    for artist in artists:
        artist.place_note()
    if lr_sweep and colorbar:
        _colorbar_for_lrs(fig, ax, norm)
    elif legend and len(curves) > 1 and len(curves) <= 10:
        ax.legend(loc="best")
    if any(at >= 0 for at in divergence):
        _mark_divergence_in_legend(ax, legend and not lr_sweep and len(curves) > 1)
    return fig, ax


def _mark_divergence_in_legend(ax, has_legend):
    """Add an entry explaining the ✕ to the legend (or make a legend for it)."""
    cross = Line2D([], [], marker="X", linestyle="", color=style.DIVERGED_COLOR,
                   markeredgecolor="white", markersize=10)
    if has_legend and ax.get_legend() is not None:
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles + [cross], labels + ["diverged (run stopped)"], loc="best")
    else:
        ax.legend([cross], ["diverged (run stopped)"], loc="best")


# ------------------------------------------------------------------------ schedules

def _schedule_name(schedule, index: int) -> str:
    name = getattr(schedule, "name", None) or getattr(schedule, "__name__", None)
    if not name or name == "<lambda>":
        return f"schedule {index + 1}"
    return str(name)


def _schedule_values(name: str, schedule, t: np.ndarray) -> np.ndarray:
    """``schedule(t)`` as rates, one per step in ``t``; a schedule that cannot take an
    array of steps, or gives something else than real numbers, is named with the fix."""
    try:
        values = schedule(t)
    except (ValueError, TypeError) as error:
        if not any(text in str(error) for text in ("truth value", "only length-1", "only 0-dimensional")):
            raise
        check.fail(name, _VECTORISED, schedule, f"called on {t.size} steps it raised "
                   f"{type(error).__name__}: {error}; " + _HOW_TO_VECTORISE, error=TypeError)
    array = check.real_array(name + "(steps)", values)
    if array.shape not in ((), t.shape):
        check.fail(name + "(steps)", f"one rate per step (shape {t.shape})",
                   check.Described(f"shape {array.shape}"))
    return np.broadcast_to(array, t.shape)


@_styled
def schedule_curves(schedules, steps, ax=None, logy=False, *, colors=None,
                    title="Learning-rate schedules", legend=True, boundaries=None, ylim=None):
    """Learning rate against step for one or more schedules.

    Parameters
    ----------
    schedules : callable, list of callables, or dict name → callable
        Each is a vectorised ``step -> lr`` schedule (:mod:`lrcourse.schedules`);
        it is evaluated once on ``np.arange(steps)``.
    steps : int or array of steps
    logy : bool
        Log-scale lr axis (for exponential decay, or warm-up from a tiny rate).
    boundaries : steps, optional
        Dotted vertical lines at these steps (the boundaries of a ``join``).
    ylim : (low, high), optional
    """
    logy, legend = check.boolean("logy", logy), check.boolean("legend", legend)
    title = check.optional_text("title", title)
    if callable(schedules) and not isinstance(schedules, Mapping):
        schedules = [schedules]
    if isinstance(schedules, Mapping):
        names, funcs = [str(k) for k in schedules.keys()], list(schedules.values())
    else:
        if not isinstance(schedules, (list, tuple)):
            check.fail("schedules", "a schedule, a list of schedules or a dict name -> schedule", schedules,
                       error=TypeError)
        funcs = list(schedules)
        names = [_schedule_name(s, i) for i, s in enumerate(funcs)]
    for i, f in enumerate(funcs):
        if not callable(f):
            check.fail(f"schedules[{i}]", "a schedule (a callable step -> lr)", f, error=TypeError)
    if isinstance(steps, (list, tuple, np.ndarray)):
        t = check.real_array("steps", steps).ravel()
        if not (0 < t.size <= check.MAX_STEPS and np.all(np.isfinite(t) & (t >= 0) & (t == np.floor(t)))):
            check.fail("steps", f"a positive integer, or a non-empty array of at most {check.MAX_STEPS} "
                       "non-negative whole steps", steps)
    else:
        t = np.arange(check.step_count("steps", steps))
    colors = _colors(colors, len(funcs), "schedule")
    if colors is None:
        colors = style.colors_for(names)
    curves = [_schedule_values(f"schedules[{names[i]!r}]" if isinstance(schedules, Mapping)
                               else f"schedules[{i}]", f, t) for i, f in enumerate(funcs)]
    fig, ax = _figure_and_axes(ax)
    for lr, name, color, dash in zip(curves, names, colors, style.linestyles_for(colors)):
        ax.plot(t, lr, color=color, label=name, linestyle=dash)
    if logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    if ylim is not None:
        ax.set_ylim(*check.limits("ylim", ylim))
    if boundaries is not None:
        for boundary in check.real_array("boundaries", boundaries, finite=True).reshape(-1):
            ax.axvline(boundary, color=style.REFERENCE_COLOR, linestyle=":", linewidth=1)
    ax.set_xlim(t.min(), t.max())
    ax.set_xlabel("step t")
    ax.set_ylabel("learning rate ηₜ")
    _set_title(ax, title)
    if legend and len(funcs) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False)
    return fig, ax


# ----------------------------------------------------------------- finder and sweep

def _suggestions(result) -> dict[str, float]:
    raw = getattr(result, "suggestions", None) or {}
    out = {}
    for name, value in dict(raw).items():
        value = getattr(value, "lr", value)
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if np.isfinite(value) and value > 0:
            out[str(name)] = value
    return out


_SUGGESTION_STYLES = ("--", "-.", ":", (0, (5, 2, 1, 2)))


@_styled
def finder_curve(finder_result, ax=None, *, title="LR range test (LR finder)", show_raw=True):
    """The LR finder's loss against learning rate (log x).

    Draws the raw losses faintly, the smoothed loss (bias-corrected EMA) boldly,
    each suggestion as a labelled vertical line, and the point where the test
    stopped (smoothed loss above ``diverge_threshold ×`` its best).
    """
    _needs_attributes("finder_result", finder_result, "a FinderResult (from tune.lr_finder)",
                      ("lrs", "smoothed"))
    show_raw = check.boolean("show_raw", show_raw)
    title = check.optional_text("title", title)
    lrs = check.real_array("finder_result.lrs", finder_result.lrs).ravel()
    raw = check.real_array("finder_result.losses", getattr(finder_result, "losses", None)
                         if getattr(finder_result, "losses", None) is not None
                         else finder_result.raw_losses).ravel()
    smooth = check.real_array("finder_result.smoothed", finder_result.smoothed).ravel()
    n = min(lrs.size, raw.size, smooth.size)
    lrs, raw, smooth = lrs[:n], raw[:n], smooth[:n]
    fig, ax = _figure_and_axes(ax)
    ax.set_xscale("log")
    if show_raw:
        ax.plot(lrs, raw, color=style.CYCLE[0], alpha=0.3, linewidth=1.0, label="loss (raw)")
    ax.plot(lrs, smooth, color=style.CYCLE[0], linewidth=2.2, label="loss (smoothed)")

    stopped = getattr(finder_result, "stopped_at", None)
    if stopped is not None and stopped >= 0:
        stopped = int(stopped)
        i = min(stopped, n - 1)
        ax.plot([lrs[i]], [smooth[i]], "X", color=style.DIVERGED_COLOR, markersize=10,
                markeredgecolor="white", zorder=5, label=f"stopped (step {stopped})")

    finite = smooth[np.isfinite(smooth)]
    if finite.size:
        raw_finite = raw[np.isfinite(raw)] if show_raw else finite
        best = float(min(finite.min(), raw_finite.min() if raw_finite.size else finite.min()))
        start = float(finite[0])
        top = max(start, best) + 1.5 * abs(start - best) + 1e-12
        span = top - best
        ax.set_ylim(best - 0.1 * span, top)
    ax.set_xlim(lrs.min(), lrs.max())
    suggestions = _suggestions(finder_result)
    for j, (name, lr) in enumerate(suggestions.items()):
        ax.axvline(lr, color=style.CYCLE[(j + 1) % len(style.CYCLE)], linestyle=_SUGGESTION_STYLES[j % 4],
                   linewidth=1.5, label=f"{name}: η = {_fmt(lr)}")
    ax.set_xlabel("learning rate η (log scale)")
    ax.set_ylabel("training loss")
    _set_title(ax, title)
    ax.legend(loc="upper left", fontsize=10)
    return fig, ax


_POSITIVE_VALUES = check.positive


def _increasing(name: str, values, each: check.Interval) -> np.ndarray:
    """A non-empty, strictly increasing 1-D array whose entries ``each`` accepts."""
    array = check.real_array(name, values).ravel()
    accepted = f"a non-empty, strictly increasing array of numbers each {each}"
    if array.size == 0 or not all(float(v) in each for v in array) or np.any(np.diff(array) <= 0):
        check.fail(name, accepted, values)
    return array


def _pair(name: str, value) -> tuple[float, float]:
    """A point (x, y) of finite numbers."""
    accepted = "a pair (x, y) of finite numbers"
    if not isinstance(value, (tuple, list, np.ndarray)) or len(value) != 2 or not check.is_real(value):
        check.fail(name, accepted, value, error=TypeError)
    x, y = (float(v) for v in value)
    if not (math.isfinite(x) and math.isfinite(y)):
        check.fail(name, accepted, value)
    return x, y


def _needs_attributes(name: str, value, accepted: str, attributes: tuple) -> None:
    if not all(hasattr(value, attribute) for attribute in attributes):
        simple = value is None or isinstance(value, (str, int, float))
        check.fail(name, accepted, value if simple else
                   check.Described(f"an object of type {type(value).__name__}"), error=TypeError)


def _sweep_arrays(sweep):
    _needs_attributes("sweep_result", sweep, "a SweepResult with lrs and final_loss", ("lrs",))
    lrs = check.real_array("sweep_result.lrs", sweep.lrs).ravel()
    final = None
    for name in ("final_loss", "final_losses", "loss"):
        value = getattr(sweep, name, None)
        if value is not None and np.ndim(value) == 1:
            final = np.asarray(value, dtype=float).ravel()
            break
    if final is None:
        check.fail("sweep_result", "a SweepResult with lrs and final_loss",
                   check.Described(f"an object of type {type(sweep).__name__}"), error=TypeError)
    diverged = getattr(sweep, "diverged", None)
    diverged = (np.asarray(diverged, dtype=bool).ravel() if diverged is not None
                else ~np.isfinite(final))
    return lrs, final, diverged


@_styled
def sweep_curve(sweep_result, ax=None, *, vlines=None, title="Final loss against learning rate",
                ylabel="final loss $f(x_T)$", label=None, color=None):
    """Final loss against learning rate (log–log), one point per swept rate.

    Diverged rates are marked ✕ along the top edge, the best rate ★ and labelled.

    Parameters
    ----------
    sweep_result : SweepResult
        From :func:`lrcourse.tune.lr_sweep` (``lrs``, ``final_loss``, ``diverged``).
    vlines : dict label → lr, optional
        Reference rates drawn as vertical lines, e.g. ``{"2/λ_max": q.stability_limit}``.
    label, color : str, colour, optional
        The sweep's legend entry and colour (default: the optimizer's colour if the
        label names one), for several sweeps on one axes.
    """
    lrs, final, diverged = _sweep_arrays(sweep_result)
    _texts(title=title, ylabel=ylabel, label=label)
    color = None if color is None else _COLOR("color", color)
    order = np.argsort(lrs)
    lrs, final, diverged = lrs[order], final[order], diverged[order]
    ok = ~diverged & np.isfinite(final)
    fig, ax = _figure_and_axes(ax)
    earlier_sweep = ax.get_xlim() if ax.has_data() else None  # a second sweep on the same axes
    ax.set_xscale("log")
    ax.set_yscale("log", nonpositive="mask")
    if color is None:
        color = (style.optimizer_color(label) if label else None) or style.CYCLE[0]
    ax.plot(lrs[ok], final[ok], "-o", color=color, markersize=4, label=label or "did not diverge")
    if diverged.any():
        ax.plot(lrs[diverged], np.ones(diverged.sum()), "X", color=style.DIVERGED_COLOR,
                markersize=9, markeredgecolor="white", transform=ax.get_xaxis_transform(),
                clip_on=False, label="diverged", zorder=5)
    if ok.any():
        positive = ok & (final > 0)
        candidates = np.flatnonzero(positive if positive.any() else ok)
        b = candidates[np.argmin(final[candidates])]
        ax.plot([lrs[b]], [final[b]], "*", color=style.REFERENCE_COLOR, markersize=15,
                markeredgecolor="white", zorder=6, label=f"best: η = {_fmt(lrs[b])}")
    if vlines is not None and not isinstance(vlines, Mapping):
        check.fail("vlines", "a dict label -> learning rate, or None", vlines, error=TypeError)
    for j, (name, lr) in enumerate((vlines or {}).items()):
        lr = check.positive(f"vlines[{name!r}]", lr)
        ax.axvline(float(lr), color=style.REFERENCE_COLOR, linestyle=_SUGGESTION_STYLES[j % 4],
                   linewidth=1.2, label=f"{name} = {_fmt(float(lr))}")
    low, high = lrs.min() / 1.3, lrs.max() * 1.3
    if earlier_sweep is not None:  # keep every sweep's points (and its ✕ marks) in view
        low, high = min(low, earlier_sweep[0]), max(high, earlier_sweep[1])
    ax.set_xlim(low, high)
    ax.set_xlabel("learning rate η")
    ax.set_ylabel(ylabel)
    _set_title(ax, title)
    ax.legend(loc="best", fontsize=10)
    return fig, ax


# ----------------------------------------------------------------- lesson-specific

@_styled
def rate_map(etas, betas, rates, ax=None, *, log_eta=True, title="Convergence rate over (η, β)",
             point=None, mark_best=True, legend_extra=(), legend_loc="upper left"):
    """Heat map of a convergence rate ρ (per step; smaller is faster) over (η, β).

    Parameters
    ----------
    etas : array (n_eta,)
        Learning rates (horizontal axis).
    betas : array (n_beta,)
        Momentum coefficients (vertical axis).
    rates : array (n_beta, n_eta)
        ``rates[i, j]`` is the rate at ``(etas[j], betas[i])``: rows follow β, columns
        follow η (``np.meshgrid(etas, betas)`` order).  ρ ≥ 1 or NaN (no convergence)
        is drawn grey.
    point : (eta, beta), optional
        A point to mark (e.g. the current slider setting).
    mark_best : bool or (eta, beta)
        True marks the grid's fastest cell ★; a pair marks a known optimum instead
        (e.g. ``(q.optimal_momentum_lr, q.optimal_momentum)``).
    legend_extra : artists
        More legend entries (an explorer's own movable :class:`PointArtist`).
    legend_loc : str
        A matplotlib ``loc`` inside the axes, or ``"below"``: under the η axis
        label, where no point of the map can go (an explorer's moving ○).
    """
    etas = _increasing("etas", etas, _POSITIVE_VALUES)
    betas = _increasing("betas", betas, check.unit_interval)
    rates = check.real_array("rates", rates)
    log_eta = check.boolean("log_eta", log_eta)
    legend_loc = _LEGEND_LOC("legend_loc", legend_loc)
    title = check.optional_text("title", title)
    legend_extra = _ARTISTS("legend_extra", legend_extra)
    if point is not None:
        point = _pair("point", point)
    if not isinstance(mark_best, (bool, np.bool_)):
        mark_best = _pair("mark_best", mark_best)
    if rates.shape != (betas.size, etas.size):
        check.fail("rates", f"an array of shape (len(betas), len(etas)) = ({betas.size}, {etas.size})",
               check.Described(f"shape {rates.shape}"), "rows follow β, columns follow η")
    fig, ax = _figure_and_axes(ax)
    cmap = mpl.colormaps["magma"].with_extremes(over="#d9d9d9", bad="#d9d9d9")
    shown = np.where(np.isfinite(rates), rates, np.inf)
    finite = shown[shown < 1]
    vmin = float(finite.min()) if finite.size else 0.0
    mesh = ax.pcolormesh(etas, betas, shown, shading="nearest", cmap=cmap, vmin=vmin, vmax=1.0,
                         rasterized=True)
    bar = fig.colorbar(mesh, ax=ax, pad=0.02, extend="max")
    bar.set_label("rate ρ per step (smaller is faster)")
    if log_eta:
        ax.set_xscale("log")
    handles = [Patch(facecolor="#d9d9d9", edgecolor="#999999", label="no convergence (ρ ≥ 1)")]
    if isinstance(mark_best, (tuple, list, np.ndarray)):
        eta_b, beta_b = float(mark_best[0]), float(mark_best[1])
        (best,) = ax.plot([eta_b], [beta_b], "*", color="white", markeredgecolor="black",
                          markersize=15, label=f"optimum η* = {_fmt(eta_b)}, β* = {beta_b:.2f}")
        handles.insert(0, best)
    elif mark_best and finite.size:
        i, j = np.unravel_index(np.argmin(shown), shown.shape)
        (best,) = ax.plot([etas[j]], [betas[i]], "*", color="white", markeredgecolor="black",
                          markersize=15, label=f"fastest on the grid: η = {_fmt(etas[j])}, "
                                               f"β = {betas[i]:.2f}, ρ = {shown[i, j]:.3f}")
        handles.insert(0, best)
    if point is not None:
        current = PointArtist(ax, "current (η, β)")
        current.update(float(point[0]), float(point[1]))
        handles.append(current.marker)
    handles += list(legend_extra)
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("momentum β")
    _set_title(ax, title)
    if legend_loc == "below":
        under = mpl.transforms.offset_copy(ax.transAxes, fig=fig, y=-34, units="points")
        legend = ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                           bbox_transform=under, borderaxespad=0.0, fontsize=10, frameon=False)
    else:
        legend = ax.legend(handles=handles, loc=legend_loc, fontsize=10, framealpha=0.9)
    _show_handles(legend)
    ax.grid(False)
    return fig, ax


_PAD_FRACTION = check.Interval(0, 1, "both")


def pad_limits(ax, xlim, ylim, fraction: float = 0.08) -> None:
    """Set ``ax``'s limits to ``xlim`` and ``ylim`` widened by ``fraction`` of their
    span on each side (in log space on a log axis), so a marker of a few points at
    any corner is drawn whole.  ``fraction`` is in [0, 1] (at most a whole span each side)."""
    ax = _AXES("ax", ax)
    xlim, ylim = check.limits("xlim", xlim), check.limits("ylim", ylim)
    fraction = _PAD_FRACTION("fraction", fraction)
    for name, (low, high), scale in (("xlim", xlim, ax.get_xscale()), ("ylim", ylim, ax.get_yscale())):
        if scale == "log" and low <= 0:
            check.fail(name, "a pair of positive numbers on a log axis", (low, high))
    for (low, high), scale, setter in ((xlim, ax.get_xscale(), ax.set_xlim),
                                       (ylim, ax.get_yscale(), ax.set_ylim)):
        if scale == "log":
            lo, hi = np.log10(low), np.log10(high)
            pad = fraction * (hi - lo)
            setter(10 ** (lo - pad), 10 ** (hi + pad))
        else:
            pad = fraction * (high - low)
            setter(low - pad, high + pad)


class _LearningRateAxis(check.Constraint):
    """Learning rates to draw along an axis: finite, ≥ 0, at least two different ones."""

    text = "an array of non-negative finite learning rates with at least two different values"

    def accepts(self, value) -> bool:
        if not check.is_real(value):
            return False
        etas = np.asarray(value, dtype=float).ravel()
        return bool(np.all(np.isfinite(etas) & (etas >= 0)) and etas.size >= 2 and etas.max() > etas.min())

    def error(self, value) -> type:
        return ValueError if check.is_real(value) else TypeError

    def convert(self, value) -> np.ndarray:
        return np.asarray(value, dtype=float).ravel()


_ETAS = _LearningRateAxis()


@_styled
def stability_plot(eigenvalues, etas=None, ax=None, *,
                   title=r"Why $\eta < 2/\lambda_{\max}$: contraction $|1-\eta\lambda|$ per direction"):
    """The per-direction contraction factor ``|1 − ηλ|`` of gradient descent against η.

    On a quadratic, GD multiplies the error along the eigenvector of λ by
    ``1 − ηλ`` each step.  The thick curve, ``max_λ |1 − ηλ|``, is the rate of the
    whole run: below 1 it converges, above 1 it diverges.  Marked: the stability
    limit ``2/λ_max`` and the optimal step ``2/(λ_min + λ_max)`` whose rate is
    ``(κ − 1)/(κ + 1)``.

    Parameters
    ----------
    eigenvalues : array of positive floats
        The Hessian's eigenvalues (e.g. ``Quadratic.eigenvalues``).
    etas : array of at least two different rates ≥ 0, optional
        Default: 400 rates from 0 to 1.25 · 2/λ_max.
    """
    lams = np.sort(_positive_lrs("eigenvalues", eigenvalues))[::-1]
    title = check.optional_text("title", title)
    lmax, lmin = float(lams[0]), float(lams[-1])
    limit, best = 2.0 / lmax, 2.0 / (lmin + lmax)
    if etas is None:
        etas = np.linspace(0.0, 1.25 * limit, 400)
    else:
        etas = _ETAS("etas", etas)
    fig, ax = _figure_and_axes(ax)
    # |1 − ηλ| is convex in λ, so its maximum over the eigenvalues is at λ_max or λ_min:
    # the curves drawn (every λ up to 6 of them, else those two) give the rate as well.
    shown = lams if lams.size <= 6 else np.array([lmax, lmin])
    with np.errstate(over="ignore"):  # η·λ beyond 1e308 is drawn off the top (the y axis stops at 1.6)
        factors = np.abs(1.0 - np.outer(etas, shown))
    colors = style.colors_for([f"λ = {_fmt(l)}" for l in shown])
    for column, (lam, color) in enumerate(zip(shown, colors)):
        ax.plot(etas, factors[:, column], color=color, linewidth=1.3, alpha=0.9, label=f"λ = {_fmt(lam)}")
    ax.plot(etas, factors.max(axis=1), color="black", linewidth=2.6, label=r"rate $\max_\lambda\,|1-\eta\lambda|$",
            zorder=3)
    ax.axhline(1.0, color=style.DIVERGED_COLOR, linestyle=":", linewidth=1.2)
    ax.axvline(limit, color=style.DIVERGED_COLOR, linestyle="--", linewidth=1.3,
               label=rf"$2/\lambda_{{\max}}$ = {_fmt(limit)}")
    kappa = lmax / lmin
    ax.axvline(best, color=style.REFERENCE_COLOR, linestyle="-.", linewidth=1.3,
               label=rf"$2/(\lambda_{{\min}}+\lambda_{{\max}})$ = {_fmt(best)}, rate {(kappa - 1) / (kappa + 1):.3f}")
    ax.set_xlim(float(etas.min()), float(etas.max()))
    ax.set_ylim(0, 1.6)
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("contraction per step |1 − ηλ|")
    _set_title(ax, title)
    ax.legend(loc="lower left", fontsize=10)
    return fig, ax


# ------------------------------------------------------------ recurring figure kinds

def _x_axis(x) -> np.ndarray:
    """The shared x axis of :func:`curves` and :func:`prediction_check`: finite, 1-D."""
    return check.real_array("x", x, finite=True).reshape(-1)


def _named_curves(name: str, ys, labels, length: int | None):
    """``ys`` as (labels, list of 1-D arrays): a dict name → curve, an array (T,) or (T, K)."""
    if isinstance(ys, Mapping):
        names = [str(k) for k in ys.keys()] if labels is None else labels
        items = [check.real_array(f"{name}[{k!r}]", v).reshape(-1) if np.ndim(v) <= 1 else None
                 for k, v in ys.items()]
        if any(item is None for item in items):
            check.fail(name, "a dict of 1-D curves", ys, "each value is one curve")
    else:
        array = check.real_array(name, ys)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            check.fail(name, "a dict name -> curve, or an array of shape (T,) or (T, K)",
                       check.Described(f"shape {array.shape}"))
        items = list(array.T)
        names = labels
    labels = _labels(names, len(items), lambda i: f"curve {i + 1}" if len(items) > 1 else "")
    if length is not None:
        for label, item in zip(labels, items):
            if item.size != length:
                check.fail(name, f"curves of {length} points (one per x)", check.Described(
                    f"a curve of shape {item.shape}" + (f" ({label!r})" if label else "")))
    return labels, items


def _on_log_axis(name: str, values: np.ndarray, axis: str, hint: str = "") -> None:
    """Refuse values a log axis cannot show: finite ones, none of them positive
    (matplotlib would mask them all and warn "Data has no positive values")."""
    finite = values[np.isfinite(values)]
    if finite.size and not np.any(finite > 0):
        check.fail(name, f"an array with positive values on a log {axis} axis (log{axis}=True)", values,
                   hint or f"pass log{axis}=False to draw it")


def _axes_look(ax, *, logx, logy, xlabel, ylabel, title, xlim, ylim):
    _texts(xlabel=xlabel, ylabel=ylabel, title=title)
    if check.boolean("logx", logx):
        ax.set_xscale("log")
    if check.boolean("logy", logy):
        ax.set_yscale("log", nonpositive="mask")
    if xlim is not None:
        ax.set_xlim(*check.limits("xlim", xlim))
    if ylim is not None:
        ax.set_ylim(*check.limits("ylim", ylim))
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    _set_title(ax, title)


def _place_legend(ax, loc, **kwargs):
    """A legend at ``loc``: "outside" (right of the axes), "below" (under the x label)
    or a matplotlib place inside; None draws none."""
    if loc is None:
        return None
    loc = _LEGEND_LOC("legend_loc", loc)
    if loc == "outside":
        legend = ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                           frameon=False, **kwargs)
    elif loc == "below":
        under = mpl.transforms.offset_copy(ax.transAxes, fig=ax.figure, y=-34, units="points")
        legend = ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=under,
                           borderaxespad=0.0, frameon=False, ncol=kwargs.pop("ncol", 2), **kwargs)
    else:
        legend = ax.legend(loc=loc, **kwargs)
    return legend


@_styled
def curves(x, ys, ax=None, *, labels=None, colors=None, linestyle="-", marker=None, logx=False,
           logy=False, xlabel="step t", ylabel=None, title=None, xlim=None, ylim=None,
           legend_loc="best", hlines=None, vlines=None):
    """Several named curves against one x axis: the course's plain line figure.

    For what is not a loss curve of a ``RunResult`` (:func:`loss_curves`): an
    excess loss at evaluation steps, a distance to the minimum, a validation loss,
    a rate against η.

    Parameters
    ----------
    x : array (T,)
    ys : dict name → array (T,), or an array (T,) or (T, K)
        One curve per entry (per column); a dict's keys are the legend labels.
    labels, colors : lists, optional
        One per curve.  Default colours: :func:`lrcourse.style.colors_for` of the
        labels (an optimizer keeps its colour).
    linestyle : a matplotlib line style, or a list of them (one per curve)
    marker : matplotlib marker of every curve (default none)
    logx, logy : bool
    hlines, vlines : dict label → value, optional
        Reference lines, labelled in the legend.
    legend_loc : "best", any matplotlib place, "outside", "below", or None (no legend)
    """
    x = _x_axis(x)
    labels, items = _named_curves("ys", ys, labels, x.size)
    if check.boolean("logx", logx) and np.any(x <= 0):
        check.fail("x", "an array of positive numbers on a log x axis (logx=True)", x,
                   f"the first bad entry is {float(x[x <= 0][0])!r}")
    if check.boolean("logy", logy):
        for label, y in zip(labels, items):
            _on_log_axis("ys", y, "y", f"the curve {label!r} has none; pass logy=False to draw it")
    colors = _colors(colors, len(items)) or style.colors_for(labels)
    if isinstance(linestyle, list) or (isinstance(linestyle, tuple) and not _LINESTYLE.accepts(linestyle)):
        linestyles = check.ListOf(_LINESTYLE, len(items), "curve")("linestyle", linestyle)
    else:                                            # one for all (a dash tuple (0, (5, 2)) is one style)
        linestyles = [_LINESTYLE("linestyle", linestyle)] * len(items)
    marker = _MARKER("marker", marker)
    _texts(xlabel=xlabel, ylabel=ylabel, title=title)
    legend_loc = _LEGEND_LOC_OR_NONE("legend_loc", legend_loc)
    fig, ax = _figure_and_axes(ax)
    for label, y, color, dash in zip(labels, items, colors, linestyles):
        ax.plot(x, y, linestyle=dash, marker=marker, color=color, label=label or None)
    _reference_lines(ax, hlines, vlines)
    _axes_look(ax, logx=logx, logy=logy, xlabel=xlabel, ylabel=ylabel, title=title, xlim=xlim, ylim=ylim)
    if xlim is None and not logx and x.size:
        ax.set_xlim(float(np.nanmin(x)), float(np.nanmax(x)))
    if any(labels) or hlines or vlines:
        _place_legend(ax, legend_loc)
    return fig, ax


def _reference_lines(ax, hlines, vlines):
    for name, lines, draw in (("hlines", hlines, ax.axhline), ("vlines", vlines, ax.axvline)):
        if lines is None:
            continue
        if not isinstance(lines, Mapping):
            check.fail(name, "a dict label -> value, or None", lines, error=TypeError)
        for j, (label, value) in enumerate(lines.items()):
            value = check.Interval()(f"{name}[{label!r}]", value)
            draw(value, color=style.REFERENCE_COLOR, linestyle=_SUGGESTION_STYLES[(j + 1) % 4],
                 linewidth=1.2, label=str(label))


@_styled
def prediction_check(x, predicted, measured, ax=None, *, labels=None, colors=None, every=1,
                     predicted_label="predicted", measured_label="measured", logx=False, logy=False,
                     xlabel="step t", ylabel=None, title=None, xlim=None, ylim=None,
                     threshold=None, vlines=None, legend_loc="best"):
    """A prediction against its measurement: the formula as lines, the runs as ○.

    Parameters
    ----------
    x : array (T,)
    predicted, measured : arrays (T,) or (T, K), or dicts name → (T,)
        Column k of each is curve k, drawn in colour k: the prediction as a line, the
        measurement as open circles at every ``every``-th point.
    labels : list of str, optional
        One per curve (a dict's keys by default).
    predicted_label, measured_label : str
        What the line and the circle mean, as two black legend entries.
    threshold : float, optional
        A rate-like quantity's critical value (e.g. 1 for a rate per step): a dotted
        line, the region above it shaded red.
    """
    x = _x_axis(x)
    names, lines = _named_curves("predicted", predicted, labels, x.size)
    _, dots = _named_curves("measured", measured, None, x.size)
    if len(dots) != len(lines):
        check.fail("measured", f"as many curves as predicted ({len(lines)})", check.Described(
            f"{len(dots)} curves, shape {np.shape(measured)}"))
    every = check.positive_int("every", every)
    colors = _colors(colors, len(lines)) or style.colors_for(names)
    _texts(predicted_label=predicted_label, measured_label=measured_label, xlabel=xlabel, ylabel=ylabel,
           title=title)
    if threshold is not None:
        threshold = check.Interval()("threshold", threshold)
    legend_loc = _LEGEND_LOC_OR_NONE("legend_loc", legend_loc)
    fig, ax = _figure_and_axes(ax)
    for name, line, dot, color in zip(names, lines, dots, colors):
        ax.plot(x, line, "-", color=color, label=name or None)
        ax.plot(x[::every], dot[::every], "o", color=color, markerfacecolor="none", markersize=6)
    key = colors[0] if len(lines) == 1 else "black"     # the legend's key: one curve keeps its colour
    ax.plot([], [], "-", color=key, label=predicted_label)
    ax.plot([], [], "o", color=key, markerfacecolor="none", markersize=6, label=measured_label)
    _reference_lines(ax, None, vlines)
    _axes_look(ax, logx=logx, logy=logy, xlabel=xlabel, ylabel=ylabel, title=title, xlim=xlim, ylim=ylim)
    if xlim is None and not logx:
        ax.set_xlim(float(x.min()), float(x.max()))
    if threshold is not None:
        low, high = ax.get_ylim()
        ax.axhline(threshold, color="grey", linestyle=":", linewidth=1.2)
        ax.axhspan(min(low, threshold), threshold, color=style.CYCLE[2], alpha=0.08,
                   label=f"below {threshold:g}: shrinks, converges")
        ax.axhspan(threshold, max(high, threshold), color=style.DIVERGED_COLOR, alpha=0.08,
                   label=f"above {threshold:g}: grows, diverges")
        ax.set_ylim(low, high)
    _place_legend(ax, legend_loc)
    return fig, ax


#: Outcome codes of :func:`outcome_map` besides valley indices 0, 1, 2, …
BOUNCES, DIVERGES = -1, -2
_OUTCOME_GREYS = {BOUNCES: "#d9d9d9", DIVERGES: "#555555"}


def _valley_colors(count: int) -> list[str]:
    return [style.CYCLE[i % len(style.CYCLE)] for i in range(count)]


@_styled
def outcome_map(xs, ys, ends, ax=None, *, n_valleys=None, valley_labels=None, logx=False, logy=False,
                yticklabels=None, hlines=None, limits=None, limit_label="2/f″ of valley {}", xlabel=None,
                ylabel=None, title=None, legend_loc="outside"):
    """Where each run ended, as a coloured map over two settings (start and η, η and β).

    Parameters
    ----------
    xs : array (n_x,), ys : array (n_y,)
        The settings along the horizontal and the vertical axis.
    ends : int array (n_y, n_x)
        ``ends[i, j]`` for ``(xs[j], ys[i])``: the index v ≥ 0 of the valley the run
        settled in (coloured ``style.CYCLE[v]``), ``BOUNCES`` (−1, light grey: never
        settled) or ``DIVERGES`` (−2, dark grey).
    n_valleys : int, optional
        How many valleys the colours stand for (default: the largest index + 1).
    valley_labels : list of str, optional
        Legend entries for the valleys (default: none, e.g. when a panel above
        numbers them in the same colours).
    yticklabels : list of str, optional
        Name the rows instead of a numeric y axis (``ys`` then only orders them).
    hlines : dict label → y, optional
        Dashed lines across the map, each labelled on a white box at its right end.
    limits : array, one y per valley, optional
        The largest y at which each valley can hold a run (on a 1-D landscape with η
        on the vertical axis: 2/f″ at the valley's minimum).  Dashed lines, each
        labelled ``limit_label.format(v + 1)`` in its valley's colour, above the
        columns where runs ended in that valley.
    legend_loc : "outside", "below", a matplotlib place, or None
    """
    xs = check.real_array("xs", xs, finite=True).reshape(-1)
    ys = check.real_array("ys", ys, finite=True).reshape(-1)
    ends = check.real_array("ends", ends)
    if ends.shape != (ys.size, xs.size):
        check.fail("ends", f"an array of shape (len(ys), len(xs)) = ({ys.size}, {xs.size})",
                   check.Described(f"shape {ends.shape}"), "rows follow ys, columns follow xs")
    if not np.all((ends == np.floor(ends)) & (ends >= DIVERGES)):
        check.fail("ends", "an array of valley indices ≥ 0, BOUNCES (−1) or DIVERGES (−2)",
                   check.Described(f"entries from {np.nanmin(ends):g} to {np.nanmax(ends):g}"))
    count = int(ends.max()) + 1 if n_valleys is None else check.positive_int("n_valleys", n_valleys)
    if ends.max() >= count:
        check.fail("n_valleys", f"an integer > {int(ends.max())} (the largest valley index)", n_valleys)
    colors = _valley_colors(count)
    if valley_labels is not None:
        valley_labels = _labels(valley_labels, count, str, "valley_labels", "valley")
    if yticklabels is not None:
        yticklabels = _labels(yticklabels, ys.size, str, "yticklabels", "row")
    _texts(xlabel=xlabel, ylabel=ylabel, title=title)
    legend_loc = _LEGEND_LOC_OR_NONE("legend_loc", legend_loc)
    limit_label = check.Text(what="a string with {} for the valley's number")("limit_label", limit_label)
    fig, ax = _figure_and_axes(ax)
    cmap = mpl.colors.ListedColormap([_OUTCOME_GREYS[DIVERGES], _OUTCOME_GREYS[BOUNCES]] + colors)
    rows = np.arange(ys.size) if yticklabels is not None else ys
    ax.pcolormesh(xs, rows, ends, cmap=cmap, vmin=DIVERGES - 0.5, vmax=count - 0.5, shading="nearest",
                  rasterized=True)
    ax.grid(False)
    if yticklabels is not None:
        ax.set_yticks(rows, yticklabels)
        logy = False
    _axes_look(ax, logx=logx, logy=logy, xlabel=xlabel, ylabel=ylabel, title=title, xlim=None, ylim=None)
    if hlines is not None:
        if not isinstance(hlines, Mapping):
            check.fail("hlines", "a dict label -> y, or None", hlines, error=TypeError)
        for label, y in hlines.items():
            y = check.real(f"hlines[{label!r}]", y)
            ax.axhline(y, color="#222222", linestyle="--", linewidth=1.1)
            ax.annotate(str(label), (0.99, y), xycoords=("axes fraction", "data"), xytext=(0, 2),
                        textcoords="offset points", ha="right", va="bottom", fontsize=8.5,
                        bbox=dict(facecolor="white", edgecolor="#888888", pad=1.2, alpha=0.9))
    if limits is not None:
        limits = check.real_array("limits", limits, finite=True).reshape(-1)
        if limits.size != count:
            check.fail("limits", f"an array of {count} values (one per valley)", limits)
        for v, (y, color) in enumerate(zip(limits, colors)):
            columns = np.flatnonzero(np.any(ends == v, axis=0))
            x = float(np.median(xs[columns])) if columns.size else float(xs[-1])
            ax.axhline(y, color="#222222", linestyle="--", linewidth=1.1)
            ax.annotate(limit_label.format(v + 1), (x, y), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8.5,
                        bbox=dict(facecolor="white", edgecolor=color, pad=1.2, alpha=0.9))
    handles = ([Patch(color=c, label=l) for c, l in zip(colors, valley_labels)] if valley_labels else [])
    present = set(np.unique(ends).astype(int))
    handles += [Patch(color=_OUTCOME_GREYS[code], label=text) for code, text in
                ((BOUNCES, "never settles (bounces)"), (DIVERGES, "diverges")) if code in present]
    if handles and legend_loc is not None:
        if legend_loc in ("outside", "below"):
            _place_legend(ax, legend_loc, handles=handles, fontsize=9)
        else:
            ax.legend(handles=handles, loc=legend_loc, fontsize=9, framealpha=0.95)
    return fig, ax


@_styled
def numbered_valleys(problem, xlim, ax=None, *, ylim=None, title=None, resolution=800):
    """A 1-D landscape f(x) with its local minima in ``xlim`` marked ▼ and numbered
    1, 2, … in the colours :func:`outcome_map` gives valleys 0, 1, …"""
    problem = _problem_of_dim(problem, 1, "contour_trajectory")
    xlim = check.limits("xlim", xlim)
    resolution = check.grid_points("resolution", resolution)
    title = check.optional_text("title", title)
    fig, ax = _figure_and_axes(ax)
    grid = np.linspace(*xlim, resolution)
    with np.errstate(over="ignore", invalid="ignore"):
        ax.plot(grid, problem.loss(grid[:, None]), color="#4a5a6a")
    minima = np.asarray(getattr(problem, "local_minima", ()), dtype=float)
    minima = minima[(minima >= xlim[0]) & (minima <= xlim[1])]
    for i, (m, color) in enumerate(zip(minima, _valley_colors(minima.size))):
        fm = float(np.asarray(problem.loss(np.array([[m]]))).ravel()[0])
        ax.plot(m, fm, "v", color=color, markersize=10)
        ax.annotate(f"{i + 1}", (m, fm), xytext=(0, -17), textcoords="offset points", ha="center", color=color)
    _axes_look(ax, logx=False, logy=False, xlabel=None, ylabel="f(x)", title=title, xlim=xlim, ylim=ylim)
    return fig, ax


@_styled
def seed_strips(values, categories, ax=None, *, groups=None, center="median", colors=None, logx=False,
                logy=False, xlabel=None, ylabel=None, title=None, ylim=None, legend_loc="best"):
    """One dot per seed and a bar at the median (or mean), per setting: how far the
    seeds spread, and whether two settings' spreads overlap.

    Parameters
    ----------
    values : array (seeds, n) or (seeds, n_groups, n)
        ``values[s, (g,) i]``: seed s's result at category i (in group g).
    categories : list of str or of positive numbers
        Names of the n categories (ticks), or positive numbers (their x positions:
        peak rates on a log axis with ``logx=True``).
    groups : list of str, optional
        Names of the groups, drawn side by side in their own colours (then
        ``values`` has three axes).  Without groups each category has its colour.
    center : "median" or "mean"
    """
    values = check.real_array("values", values)
    center = check.OneOf("median", "mean")("center", center)
    if groups is None:
        if values.ndim != 2:
            check.fail("values", "an array of shape (seeds, categories)", check.Described(f"shape {values.shape}"))
        values = values[:, None, :]
        group_names = None
    else:
        if values.ndim != 3:
            check.fail("groups", "None for values of shape (seeds, categories), or one name per group "
                       "for values of shape (seeds, groups, categories)", groups)
        group_names = _labels(groups, values.shape[1], str, "groups", "group")
    n = values.shape[2]
    numeric = check.is_real(categories) and not isinstance(categories, str)
    if numeric:
        positions = _positive_lrs("categories", categories)
        if positions.size != n:
            check.fail("categories", f"{n} positions (one per category)", categories)
        names = [f"{p:g}" for p in positions]
    else:
        names = _labels(categories, n, str, "categories", "category")
        if categories is None:
            check.fail("categories", f"a list of {n} names or positive positions", categories, error=TypeError)
        positions = np.arange(n, dtype=float)
    logx = check.boolean("logx", logx)
    G, seeds = values.shape[1], values.shape[0]
    colors = _colors(colors, G, "group") if group_names else _colors(colors, n, "category")
    if colors is None:
        colors = list(style.CYCLE[:G]) if group_names else style.colors_for(names)
    _texts(xlabel=xlabel, ylabel=ylabel, title=title)
    legend_loc = _LEGEND_LOC_OR_NONE("legend_loc", legend_loc)
    fig, ax = _figure_and_axes(ax)
    summary = np.nanmedian if center == "median" else np.nanmean
    width = 0.13 if logx else 0.3                   # a group's share of the gap between categories
    for g in range(G):
        offset = (g - (G - 1) / 2) * (width if G > 1 else 0)
        spread = np.linspace(-0.12, 0.12, seeds) * (0.4 if logx else 1) / max(G, 1)
        at = positions * np.exp(offset) if logx else positions + offset
        for i in range(n):
            color = colors[g] if group_names else colors[i]
            xs = at[i] * np.exp(spread) if logx else at[i] + spread
            ax.scatter(xs, values[:, g, i], s=14, color=color, alpha=0.75,
                       label=group_names[g] if group_names and i == 0 else None, zorder=3)
            ax.plot([at[i]], [summary(values[:, g, i])], "_", color=color, markersize=24, markeredgewidth=2.5,
                    zorder=4)
    ax.set_xticks(positions, names if numeric else [name.replace(" ", "\n") for name in names])
    _axes_look(ax, logx=logx, logy=logy, xlabel=xlabel, ylabel=ylabel, title=title, xlim=None, ylim=ylim)
    if logx:
        ax.set_xticks(positions, names)
        ax.minorticks_off()
    if group_names:
        _place_legend(ax, legend_loc)
    return fig, ax


@_styled
def schedule_gallery(panels, steps, *, ncols=3, figsize=None, title=None, ylim=None):
    """A grid of small schedule plots sharing their axes: one panel per entry.

    Parameters
    ----------
    panels : dict title → (dict name → schedule) or str
        Each panel's curves (drawn by :func:`schedule_curves`, named in a one-row
        legend when there are several); a string instead is a note written in an
        empty panel (a schedule without a curve to draw).
    steps : int
        Each schedule is drawn over ``np.arange(steps)``.
    ncols : int in [1, 20]
    """
    if not isinstance(panels, Mapping) or not panels:
        check.fail("panels", "a non-empty dict title -> (dict name -> schedule, or a note)", panels,
                   error=TypeError)
    steps = check.step_count("steps", steps)
    ncols = check.panel_count("ncols", ncols)
    if len(panels) > check.MAX_PANELS * ncols:
        check.fail("panels", f"a dict of at most {check.MAX_PANELS * ncols} panels with ncols={ncols} "
                   f"(at most {check.MAX_PANELS} rows)", check.Described(f"{len(panels)} panels"))
    nrows = math.ceil(len(panels) / ncols)
    figsize = _FIGSIZE("figsize", figsize)
    fig, axes = figure(nrows, ncols, figsize=figsize if figsize is not None else (11, 2.6 * nrows + 0.2),
                       sharex=True, sharey=True, title=title)
    axes = np.atleast_1d(axes).ravel()
    for ax, (name, content) in zip(axes, panels.items()):
        if isinstance(content, str):
            ax.text(0.5, 0.5, content, transform=ax.transAxes, ha="center", va="center", fontsize=10,
                    color=style.REFERENCE_COLOR)
            ax.set_title(str(name))
            continue
        schedule_curves(content, steps, ax=ax, title=str(name), legend=False)
        if len(content) > 1:
            ax.legend(fontsize=8, loc="upper center", ncol=len(content), handlelength=1.2,
                      columnspacing=0.8, borderaxespad=0.2)
    if ylim is not None:
        axes[0].set_ylim(*check.limits("ylim", ylim))
    for ax in axes:
        spec = ax.get_subplotspec()
        ax.set_xlabel("step t" if spec.is_last_row() else "")
        ax.set_ylabel("learning rate ηₜ" if spec.is_first_col() else "")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig, axes


@_styled
def plateau_history(plateau, *, figsize=(9, 6), title=None, metric_label="validation loss (the metric)",
                    ylabel="metric"):
    """What a :class:`lrcourse.schedules.ReduceLROnPlateau` saw and did, epoch by epoch.

    Top: the metric passed to each ``step`` with the best so far, and a dotted line at
    every epoch where the rate was cut.  Bottom: the learning rate (log scale) in
    force during each epoch.
    """
    _needs_attributes("plateau", plateau, "a ReduceLROnPlateau that has been stepped", ("history", "lrs"))
    history = list(plateau.history)
    if not history:
        check.fail("plateau", "a ReduceLROnPlateau that has been stepped at least once",
                   check.Described("one with an empty history"))
    _texts(title=title, metric_label=metric_label, ylabel=ylabel)
    fig, (top, bottom) = figure(2, 1, figsize=figsize, sharex=True, height_ratios=[3, 2])
    epochs = np.arange(1, len(history) + 1)
    top.plot(epochs, [h.metric for h in history], "o-", color=style.CYCLE[0], label=metric_label)
    top.plot(epochs, [h.best for h in history], "--", color=style.REFERENCE_COLOR, label="best so far")
    for h in history:
        if h.reduced:
            top.axvline(h.epoch, color=style.DIVERGED_COLOR, linestyle=":", linewidth=1.2)
    top.plot([], [], ":", color=style.DIVERGED_COLOR, label=f"η cut (×{_fmt(plateau.factor)})")
    top.set_ylabel(ylabel)
    if title is None:
        title = (f"ReduceLROnPlateau(lr={_fmt(plateau.initial_lr)}, factor={_fmt(plateau.factor)}, "
                 f"patience={plateau.patience})")
    _set_title(top, title)
    top.legend(loc="upper right")
    bottom.step(np.arange(len(history) + 1), plateau.lrs, where="post", color=style.CYCLE[1])
    bottom.set_yscale("log")
    bottom.set_xlabel("epoch")
    bottom.set_ylabel("learning rate η")
    bottom.set_xlim(0, len(history))
    return fig, (top, bottom)


@_styled
def outcome_shares(ends, settings, *, valley_labels=None, order=None, colors=None, xlabel=None,
                   ylabel="share of the runs", title=None, figsize=None,
                   legend_title="where the run ends\n(bottom of each bar first)"):
    """Stacked bars: for each setting, the share of the runs that ended in each valley.

    Parameters
    ----------
    ends : int array (n_settings, runs), or dict panel title → such an array
        Valley index ≥ 0 or ``BOUNCES`` (−1, "not settled") per run, as for
        :func:`outcome_map`; a dict draws one panel per entry, side by side.
    settings : list of str or numbers
        One tick label per row of ``ends``.
    valley_labels : list of str, optional
        Legend entries, one per valley (default "valley 1", …).
    order : list of int, optional
        Valleys from the bottom of each bar up (default 0, 1, …); "not settled" on top.
    colors : list, optional
        One colour per valley (default as in :func:`outcome_map`).

    Returns ``(fig, axes)``: one axes per panel, sharing the share axis; the legend
    (one for all panels) is right of them, top entry = top of the bars.
    """
    panels = dict(ends) if isinstance(ends, Mapping) else {"": ends}
    arrays = {}
    for name, value in panels.items():
        array = check.real_array(f"ends[{name!r}]" if name else "ends", value)
        if array.ndim != 2 or not np.all((array == np.floor(array)) & (array >= BOUNCES)):
            check.fail(f"ends[{name!r}]" if name else "ends",
                       "an integer array (settings, runs) of valley indices ≥ 0 or BOUNCES (−1)",
                       check.Described(f"shape {array.shape}") if array.ndim != 2 else value)
        arrays[name] = array
    first = next(iter(arrays.values()))
    if not isinstance(settings, (list, tuple, np.ndarray)):
        check.fail("settings", "a list of tick labels (one per row of ends)", settings, error=TypeError)
    names = [f"{v:g}" if check.is_real(v) and np.ndim(v) == 0 else str(v) for v in settings]
    if len(names) != first.shape[0]:
        check.fail("settings", f"a list of {first.shape[0]} labels (one per row of ends)", settings)
    count = int(max(max(a.max() for a in arrays.values()), -1)) + 1
    if valley_labels is not None:
        if isinstance(valley_labels, (list, tuple, np.ndarray)) and np.ndim(valley_labels) == 1:
            count = max(count, len(valley_labels))  # a valley no run reached may be named too
        valley_labels = _labels(valley_labels, count, str, "valley_labels", "valley")
    else:
        valley_labels = [f"valley {v + 1}" for v in range(count)]
    if order is None:
        order = list(range(count))
    elif not isinstance(order, (list, tuple, np.ndarray)):
        check.fail("order", f"a permutation of 0 … {count - 1}", order, error=TypeError)
    else:
        order = [check.nonnegative_int(f"order[{i}]", int(v) if isinstance(v, np.integer) else v)
                 for i, v in enumerate(order)]
        if sorted(order) != list(range(count)):
            check.fail("order", f"a permutation of 0 … {count - 1}", order)
    colors = _colors(colors, count, "valley") or _valley_colors(count)
    _texts(xlabel=xlabel, ylabel=ylabel, title=title, legend_title=legend_title)
    if len(arrays) > check.MAX_PANELS:
        check.fail("ends", f"a dict of at most {check.MAX_PANELS} panels", check.Described(f"{len(arrays)} panels"))
    figsize = _FIGSIZE("figsize", figsize)
    fig, axes = figure(1, len(arrays), figsize=figsize if figsize is not None else (2.5 * len(arrays) + 3.5, 3.9),
                       sharey=True, title=title)
    axes = np.atleast_1d(axes)
    for ax, (name, array) in zip(axes, arrays.items()):
        bottom = np.zeros(array.shape[0])
        for v in [*order, BOUNCES]:
            share = np.mean(array == v, axis=1)
            ax.bar(np.arange(len(names)), share, bottom=bottom, width=0.7,
                   label="not settled" if v == BOUNCES else valley_labels[v],
                   color=_OUTCOME_GREYS[BOUNCES] if v == BOUNCES else colors[v])
            bottom += share
        ax.set_xticks(np.arange(len(names)), names)
        ax.set_ylim(0, 1)
        ax.grid(False, axis="x")
        _axes_look(ax, logx=False, logy=False, xlabel=xlabel, ylabel=None, title=name or None, xlim=None,
                   ylim=None)
    axes[0].set_ylabel(ylabel)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="outside right center", fontsize=9, title=legend_title,
               title_fontsize=9)
    return fig, axes
