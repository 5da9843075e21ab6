"""What every explorer shares: a figure rendered once, blitted on every update.

An explorer owns a standalone matplotlib :class:`~matplotlib.figure.Figure` on an
Agg canvas (no pyplot state).  Its static parts — contours, a rate map, axes,
labels, legends — are drawn once; the parts that move with the sliders are
*animated* artists that each update re-draws onto a copy of the static background
(blitting).  The result is encoded as PNG into an :class:`ipywidgets.Image`.  A full
redraw happens only when an axis' limits or scale change.

Display
-------
``display(explorer)`` (or an explorer as a cell's last expression) produces a
MIME bundle with three entries:

- ``application/vnd.jupyter.widget-view+json`` — the live widget, used by JupyterLab,
  Notebook 7, VS Code and Voilà;
- ``image/png`` — the figure in its current state, used where widgets cannot run
  (nbconvert without widget state, GitHub, a static book, an untrusted notebook);
- ``text/plain`` — the printed result line.

Driving an explorer from code
-----------------------------
The controls are attributes (``explorer.lr_slider``, …); setting a control's
``value`` updates the figure and the result as dragging it would.
``explorer.set(lr=0.5, steps=100)`` sets several controls and updates once.

Threads
-------
JupyterLab 4.6 delivers widget messages on two threads of the kernel (its main
thread and a subshell for comms), so two callbacks can run at once. Every update
and every :meth:`Explorer.hold` block takes one lock, :data:`ONE_AT_A_TIME`: two
threads drawing one figure garble its PNG and can corrupt the heap (a lesson's
kernel died that way), and the style an update sets (``rc_context``) is global.
"""

from __future__ import annotations

import base64
import html
import re
import threading
import time
from contextlib import contextmanager

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
import traitlets

from lrcourse import _validation as check
from lrcourse import plots, style
from lrcourse._blas import single_threaded_blas

__all__ = ["Explorer", "LogSlider", "log_slider", "power_of_two_slider", "int_slider", "float_slider", "dropdown", "fit_labels", "label_px",
           "short_numbers", "sig3", "rate_text", "steps_text"]

#: One explorer computes and renders at a time, in the whole kernel (see "Threads" above).
ONE_AT_A_TIME = threading.RLock()

#: Room for a control's label, per character (JupyterLab's 13 px sans-serif; generous,
#: so "β (momentum)" is never cut) and around it.
_CHAR_PX = 8
_LABEL_PAD_PX = 10
#: A slider's track and readout, or a dropdown's box, right of the label.
_BODY_PX = 260
_SLIDER_LAYOUT = {"width": "330px"}
_DESCRIPTION_STYLE = {"description_width": "70px"}
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?")


class LogSlider(widgets.FloatLogSlider):
    """A base-10 log slider whose value is always on its grid ``base**(min + k·step)``.

    The browser's slider can only sit on that grid: a value set from Python between
    two grid points would be shown at the nearest one while the kernel kept the
    other (the slider reading 0.501 while the run used 0.5).  Every value set here
    is snapped to the grid first, so the value used is the value shown.
    """

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        value = float(proposal["value"])
        if not np.isfinite(value) or value <= 0:
            return self.base ** self.min
        exponent = np.log(value) / np.log(self.base)
        position = (exponent - self.min) / self.step
        k = np.clip(np.round(position), 0, np.floor((self.max - self.min) / self.step + 1e-9))
        if abs(position - k) < 1e-9:
            return value  # on the grid already (up to rounding): kept exactly as given
        return float(self.base ** (self.min + k * self.step))

    def anchor(self, value: float) -> None:
        """Shift the grid (by less than one step) so ``value`` lies on it, and set it.

        The three changes reach the browser as one message: sent one by one, the
        browser's slider would meet the new range with its old value and send that
        value back, after the new one (a newcomer saw RMSprop keep η = 2.95 on a
        problem switch that set 0.01)."""
        low, high, value = _grid(value, np.log10(self.base ** self.min), np.log10(self.base ** self.max),
                                 self.step, self._low, self._high)
        with self.hold_sync():
            self.min, self.max, self.value = low, high, value


def _grid(value: float, low_exp: float, high_exp: float, step: float, low: float, high: float):
    """(min, max, value) of a log slider's grid through ``value`` within [low, high]."""
    value = float(np.clip(value, low, high))
    at = np.log10(value)
    lo = at - np.floor((at - np.log10(low)) / step + 1e-9) * step
    hi = at + np.floor((np.log10(high) - at) / step + 1e-9) * step
    return lo, hi, value


def slider_range(control) -> check.Interval:
    """The values a slider can show, as a constraint (a log slider: base**min … base**max)."""
    if isinstance(control, LogSlider):
        return check.Interval(control._low, control._high, closed="both")
    return check.Interval(control.min, control.max, closed="both", integer=isinstance(control, widgets.IntSlider))


def checked_value(name: str, control, value):
    """``value`` if ``control`` can show it, else an error naming ``name``.

    A slider would silently clamp a value outside its range (the run would use
    another rate than the one asked for); a dropdown refuses unknown options with
    a traitlets error that does not name the explorer's argument.
    """
    if isinstance(control, widgets.Dropdown):
        return check.one_of(name, value, [option[1] if isinstance(option, tuple) else option
                                          for option in control.options])
    if isinstance(control, (widgets.ToggleButton, widgets.Checkbox)):
        return check.boolean(name, value)
    if isinstance(control, LogSlider) and control.base == 2:  # a power_of_two_slider: its grid only
        return check.OneOf(*_powers_of_two(control))(name, value, "a batch size the explorer's slider offers")
    if isinstance(control, (widgets.FloatSlider, widgets.IntSlider, LogSlider)):
        return slider_range(control)(name, value, "the explorer's slider covers this range")
    return value


def log_slider(description: str, value: float, low: float, high: float, *, step: float = 0.01,
               readout_format: str = ".3g", name: str = "value") -> LogSlider:
    """A base-10 log slider from about ``low`` to ``high`` (``step`` in decades) whose
    grid passes through ``value`` (so the starting value is exactly ``value``).

    ``value`` outside [low, high] raises, naming ``name`` (the explorer's argument).
    Its readout prints 3 significant digits with trailing zeros ("0.00200", "1.50"),
    as :func:`sig3` does in the result lines."""
    low, high = check.positive("low", low), check.positive("high", high)
    value = check.Interval(low, high, closed="both")(name, value, "the explorer's slider covers this range")
    lo, hi, value = _grid(value, np.log10(low), np.log10(high), step, low, high)
    slider = LogSlider(
        value=value, base=10, min=lo, max=hi, step=step,
        description=description, readout_format=readout_format, continuous_update=True,
        layout=widgets.Layout(**_SLIDER_LAYOUT), style=_DESCRIPTION_STYLE,
    )
    slider._low, slider._high = low, high
    return slider


def power_of_two_slider(description: str, value: int, low: int, high: int, *, every: int = 1,
                        name: str = "value") -> LogSlider:
    """A slider over the powers of two ``low, 2^every·low, …, high`` (a batch size).

    ``value`` must be one of them; anything else raises, naming ``name``.  Read it
    with ``int(slider.value)``."""
    slider = LogSlider(value=float(low), base=2, min=float(np.log2(low)), max=float(np.log2(high)), step=every,
                       description=description, readout_format=".0f", continuous_update=True,
                       layout=widgets.Layout(**_SLIDER_LAYOUT), style=_DESCRIPTION_STYLE)
    slider._low, slider._high = float(low), float(high)
    slider.value = float(checked_value(name, slider, value))
    return slider


def _powers_of_two(control) -> list[int]:
    """The values of a :func:`power_of_two_slider`."""
    count = int(round((control.max - control.min) / control.step))
    return [int(round(2 ** (control.min + k * control.step))) for k in range(count + 1)]


def int_slider(description: str, value: int, low: int, high: int, step: int = 1, *,
               continuous: bool = True, name: str = "value") -> widgets.IntSlider:
    """An integer slider; ``continuous=False`` updates only when the handle is released.

    ``value`` outside [low, high] raises, naming ``name``."""
    value = check.Interval(low, high, closed="both", integer=True)(
        name, value, "the explorer's slider covers this range")
    return widgets.IntSlider(value=value, min=low, max=high, step=step, description=description,
                             continuous_update=continuous, layout=widgets.Layout(**_SLIDER_LAYOUT),
                             style=_DESCRIPTION_STYLE)


def float_slider(description: str, value: float, low: float, high: float, step: float,
                 readout_format: str = ".2f", name: str = "value") -> widgets.FloatSlider:
    """A linear slider; ``value`` outside [low, high] raises, naming ``name``."""
    value = check.Interval(low, high, closed="both")(name, value, "the explorer's slider covers this range")
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               readout_format=readout_format, continuous_update=True,
                               layout=widgets.Layout(**_SLIDER_LAYOUT), style=_DESCRIPTION_STYLE)


def dropdown(description: str, options, value) -> widgets.Dropdown:
    return widgets.Dropdown(options=options, value=value, description=description,
                            layout=widgets.Layout(width="330px"), style=_DESCRIPTION_STYLE)


def label_px(text: str) -> int:
    """Pixels a control's label ``text`` needs (an over-estimate, never a cut)."""
    return _CHAR_PX * len(text) + _LABEL_PAD_PX


def fit_labels(controls, body_px: int = _BODY_PX) -> None:
    """Give ``controls`` one label width that holds the longest of their labels (so
    none is cut and their tracks line up), and the body ``body_px`` pixels."""
    labelled = [control for control in controls if control.description]
    if not labelled:
        return
    width = max(label_px(control.description) for control in labelled)
    for control in labelled:
        control.style.description_width = f"{width}px"
        control.layout.width = f"{width + body_px}px"


def short_numbers(text: str) -> str:
    """``text`` with every decimal number cut to 3 significant digits
    (``"cosine(lr=0.501187, …)"`` → ``"cosine(lr=0.501, …)"``); integers stay."""
    return _NUMBER.sub(lambda match: f"{float(match.group()):.3g}", text)


def sig3(value: float) -> str:
    """A number with 3 significant digits, trailing zeros kept (0.850, 1.00, 2.30e-05)."""
    return f"{value:#.3g}".rstrip(".")


def steps_text(steps: int) -> str:
    """``"1 step"``, ``"50 steps"``."""
    return f"{steps} step" if steps == 1 else f"{steps} steps"


def rate_text(rate: float) -> str:
    """A rate per step with 3 significant digits; within 5e-4 of 1 as ``1 − 2e-04``
    (so a slow convergence never reads "rate 1.00")."""
    if 0 < abs(rate - 1) < 5e-4:
        return f"1 {'−' if rate < 1 else '+'} {abs(rate - 1):.1g}"
    return sig3(rate)


class Explorer:
    """Base class of the live explorers (see the module docstring).

    Subclasses build their figure in ``__init__`` (static parts, then moving
    artists registered with :meth:`_animate`), list their controls, call
    :meth:`_finish`, and implement :meth:`_compute`, which runs the library for the
    current control values, moves the artists and returns the result (plain text,
    at most :attr:`result_lines` lines; it is shown escaped in the ``result``
    widget, in a box of that many lines whatever the text, so the explorer keeps
    its height while a slider is dragged).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    image : ipywidgets.Image
        The rendered figure (PNG bytes in ``image.value``).
    result : ipywidgets.HTML
        The printed result line (CSS class ``lrcourse-result``).
    widget : ipywidgets.VBox
        Controls, image and result (CSS class ``lrcourse-explorer``).
    text : str
        The current result line as plain text.
    update_seconds : list of float
        Wall time of every update (compute + render + encode), most recent last.
    """

    #: Lines of the result box (its fixed height).
    result_lines = 2

    def __init__(self, ncols: int = 2, figsize=style.SIDE_BY_SIDE, width_ratios=None):
        ncols = check.Interval(1, 6, "both", integer=True)("ncols", ncols, "an explorer shows one row of panels")
        self.figure, axes = plots.new_figure(ncols, figsize=figsize, pyplot=False,
                                             width_ratios=width_ratios)
        self.axes = [axes] if ncols == 1 else list(axes)
        self.canvas = self.figure.canvas
        self._moving: list = []
        self._on_top: dict = {}
        self._background = None
        self._layout = None
        self._holding = False
        self.text = ""
        self._png = b""
        self.update_seconds: list[float] = []
        width, height = self.canvas.get_width_height()
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            width="100%", max_width=f"{width}px", height="auto"))
        self.result = widgets.HTML(layout=widgets.Layout(margin="2px 0 0 8px"))
        self.result.add_class("lrcourse-result")
        self.widget = None

    # ----------------------------------------------------------------- subclass API
    def _animate(self, *artists) -> None:
        """Register artists that move on every update (drawn by blitting)."""
        for artist in artists:
            artist.set_animated(True)
            self._moving.append(artist)

    def _put_on_top(self, key: str, artist) -> None:
        """Draw ``artist`` after every moving artist, on every update (a legend, a
        label, the minimiser ★: nothing that moves may cover it); it replaces the
        artist put there before under the same ``key``."""
        if artist is None:
            self._on_top.pop(key, None)
            return
        artist.set_animated(True)
        self._on_top[key] = artist

    def _finish(self, controls: list, rows: list | None = None, label_groups: list | None = None) -> None:
        """Wire the controls, build the widget and render the first state.

        ``rows`` lists the rows of controls (default: one row that wraps);
        ``label_groups`` the groups of controls that share a label width (default:
        every control but the checkboxes, which size themselves)."""
        self.controls = list(controls)
        for control in self.controls:
            control.observe(self._on_change, names="value")
        rows = rows if rows is not None else [self.controls]
        if label_groups is None:
            label_groups = [[c for c in self.controls if not isinstance(c, widgets.Checkbox)]]
        for group in label_groups:
            fit_labels(group)
        boxes = [widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap")) for row in rows]
        self.widget = widgets.VBox(boxes + [self.image, self.result])
        self.widget.add_class("lrcourse-explorer")
        for axes in self.axes:
            axes.set_autoscale_on(False)
        self.update()

    def _compute(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def _invalidate(self, relayout: bool = False) -> None:
        """Static parts changed (e.g. a new problem): redraw everything next update,
        and with ``relayout`` lay the figure out again (new labels or legends)."""
        self._background = None
        if relayout:
            self.figure.set_layout_engine("constrained")

    def _freeze_layout(self) -> None:
        """Lay the figure out now, for its static parts as they are, and keep that
        layout (e.g. room for a legend of every optimizer, of which fewer show)."""
        with mpl.rc_context(style.RC):
            self.figure.set_layout_engine("constrained")
            self.figure.get_layout_engine().execute(self.figure)
        self.figure.set_layout_engine("none")
        self._background = None

    # ------------------------------------------------------------------- public API
    def update(self, change=None) -> None:
        """Recompute for the current control values and re-render the figure."""
        with ONE_AT_A_TIME:
            if self._holding:
                return
            start = time.perf_counter()
            with mpl.rc_context(style.RC), single_threaded_blas():
                text = self._compute()
                png = self._render()
            self.text = text
            self._png = png
            self.result.value = (
                "<div style='font-family: monospace; white-space: pre-wrap; line-height: 1.4; "
                f"height: {1.4 * self.result_lines:.1f}em; overflow-y: auto'>"
                f"{html.escape(text, quote=False)}</div>")
            self.image.value = png  # last: a new figure in the browser means the result is there too
            self.update_seconds.append(time.perf_counter() - start)

    def _on_change(self, change) -> None:
        self.update()

    @contextmanager
    def hold(self):
        """Change several controls, then update once on leaving the block (no other
        thread's update runs in between: the block holds :data:`ONE_AT_A_TIME`)."""
        with ONE_AT_A_TIME:
            previous, self._holding = self._holding, True
            try:
                yield self
            finally:
                self._holding = previous
            if not previous:
                self.update()

    def set(self, **values) -> "Explorer":
        """Set controls by name (``lr=0.5`` sets ``lr_slider``), then update once.

        Returns the explorer, so ``explorer.set(lr=0.5)`` displays in a notebook.
        A log slider's grid is moved to pass through the value (:meth:`LogSlider.anchor`),
        so the run uses exactly the rate asked for, not the nearest grid point.
        """
        checked = {name: checked_value(name, self._control(name), value) for name, value in values.items()}
        with self.hold():
            for name, value in checked.items():
                control = self._control(name)
                if isinstance(control, LogSlider) and control.base == 10:
                    control.anchor(value)
                else:
                    control.value = value
        return self

    def _control(self, name: str):
        for suffix in ("_slider", "_dropdown", "_picker", "_toggle", ""):
            control = getattr(self, name + suffix, None)
            if isinstance(control, widgets.ValueWidget):
                return control
        names = sorted(self.control_names())
        check.fail("name", f"one of the explorer's controls ({', '.join(names)})", name, error=TypeError)

    def control_names(self) -> list[str]:
        """The names :meth:`set` accepts."""
        names = []
        for attribute, value in vars(self).items():
            if isinstance(value, widgets.ValueWidget) and value in getattr(self, "controls", []):
                for suffix in ("_slider", "_dropdown", "_picker", "_toggle"):
                    if attribute.endswith(suffix):
                        attribute = attribute[: -len(suffix)]
                        break
                names.append(attribute)
        return names

    def png(self) -> bytes:
        """The figure in its current state, as PNG bytes."""
        return self._png

    @property
    def last_update_ms(self) -> float:
        return 1e3 * self.update_seconds[-1] if self.update_seconds else float("nan")

    # -------------------------------------------------------------------- rendering
    def _layout_key(self):
        return tuple((ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale())
                     for ax in self.figure.axes)

    def _render(self) -> bytes:
        key = self._layout_key()
        if self._background is None or key != self._layout:
            self.canvas.draw()  # static parts; animated artists are skipped
            if self.figure.get_layout_engine() is not None:
                # Laid out once; later redraws keep the axes where they are (faster).
                self.figure.set_layout_engine("none")
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            self._layout = self._layout_key()
        else:
            self.canvas.restore_region(self._background)
        for artist in [*self._moving, *self._on_top.values()]:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        return plots.figure_to_png(self.figure, draw=False)

    # ---------------------------------------------------------------------- display
    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["image/png"] = base64.b64encode(self._png).decode("ascii")
        bundle["text/plain"] = self.text
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.text}>"
