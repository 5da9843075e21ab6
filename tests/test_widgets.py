"""lrcourse.widgets: every explorer builds headless, reacts to its controls, and
falls back to a static PNG where widgets cannot run."""

from __future__ import annotations

import base64
import warnings

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrcourse import widgets  # noqa: E402
from lrcourse.widgets import comparison as comparison_module  # noqa: E402
from lrcourse.widgets import lr as lr_module  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def quietly(action):
    """Run ``action`` and fail on any warning it emits (a learner would see it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return action()


@pytest.fixture(scope="module")
def lr_explorer():
    return quietly(widgets.lr_explorer)


@pytest.fixture(scope="module")
def momentum_explorer():
    return quietly(widgets.momentum_explorer)


@pytest.fixture(scope="module")
def schedule_explorer():
    return quietly(widgets.schedule_explorer)


@pytest.fixture(scope="module")
def comparison():
    return quietly(widgets.optimizer_comparison)


EXPLORERS = ["lr_explorer", "momentum_explorer", "schedule_explorer", "comparison"]


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


# ------------------------------------------------------------------- all explorers

@pytest.mark.parametrize("name", EXPLORERS)
def test_explorer_builds_headless_with_a_png_and_a_result(name, request):
    explorer = request.getfixturevalue(name)
    assert explorer.png().startswith(PNG)
    assert explorer.text and explorer.text in explorer.result.value
    assert "lrcourse-explorer" in explorer.widget._dom_classes
    assert "lrcourse-result" in explorer.result._dom_classes
    assert explorer.image in list(walk(explorer.widget))
    assert explorer.result in list(walk(explorer.widget))


@pytest.mark.parametrize("name", EXPLORERS)
def test_mime_bundle_has_the_live_widget_a_static_png_and_the_result(name, request):
    explorer = request.getfixturevalue(name)
    bundle = explorer._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == explorer.widget.model_id
    assert base64.b64decode(bundle["image/png"]) == explorer.png()
    assert bundle["text/plain"] == explorer.text


@pytest.mark.parametrize("name", EXPLORERS)
def test_the_first_slider_is_the_learning_rate(name, request):
    # The browser test moves the explorer's first slider and expects η to change.
    explorer = request.getfixturevalue(name)
    kinds = (ipywidgets.FloatLogSlider, ipywidgets.IntSlider, ipywidgets.FloatSlider)
    sliders = [w for w in walk(explorer.widget) if isinstance(w, kinds)]
    assert isinstance(sliders[0], ipywidgets.FloatLogSlider)
    assert sliders[0].description.startswith("η")
    assert sliders[0].value < 10 ** sliders[0].max  # room to move right


def test_same_settings_give_the_same_picture(lr_explorer):
    again = widgets.lr_explorer()
    lr_explorer.set(lr=again.lr_slider.value, steps=again.steps_slider.value, optimizer="GD")
    assert again.png() == lr_explorer.png()
    assert again.text == lr_explorer.text


# ---------------------------------------------------------------------- lr explorer

def test_moving_the_lr_slider_changes_the_figure_and_the_result(lr_explorer):
    lr_explorer.set(lr=1.0, steps=50, optimizer="GD")
    before_png, before_text, updates = lr_explorer.png(), lr_explorer.text, len(lr_explorer.update_seconds)
    quietly(lambda: setattr(lr_explorer.lr_slider, "value", 1.5))   # the handle: on the grid through 1.0
    assert len(lr_explorer.update_seconds) == updates + 1
    assert lr_explorer.png() != before_png
    assert lr_explorer.text != before_text
    assert lr_explorer.lr_slider.value == pytest.approx(10 ** 0.18)
    assert lr_explorer.text.startswith("η = 1.51 | 2/λ_max = 2.00 | rate max|1 − ηλ| = 0.849 per step: "
                                       "converging\nafter 50 steps: loss = ")


def test_lr_explorer_reports_divergence_with_its_step(lr_explorer):
    quietly(lambda: lr_explorer.set(lr=2.3, steps=40, optimizer="GD"))
    result = lr_explorer.last_result
    assert result.diverged[0]
    assert lr_explorer.text == ("η = 2.30 | 2/λ_max = 2.00 | rate max|1 − ηλ| = 1.30 per step: growing, it "
                                f"diverges\ndiverged at step {int(result.diverged_at[0])} (loss above "
                                "10⁴·f(x₀): run stopped)")
    cross = lr_explorer.curve.cross
    assert cross.get_xdata()[0] == result.diverged_at[0]
    assert lr_explorer.curve.text.get_visible()


def test_lr_explorer_draws_the_run_it_reports(lr_explorer):
    lr_explorer.set(lr=0.5, steps=30, optimizer="Momentum")
    result = lr_explorer.last_result
    np.testing.assert_allclose(lr_explorer.path.path.get_xydata(), result.trajectory[:, 0, :])
    np.testing.assert_allclose(lr_explorer.curve.line.get_ydata()[-1], result.final_loss[0])
    assert lr_explorer.path.path.get_color() == "#E69F00"  # momentum's course colour
    assert lr_explorer.axes[1].get_xlim() == (0, 30)
    # Heavy ball with β = 0.9 on this κ = 10 quadratic is underdamped: the loss swings (more
    # than a decade of rises over the last 40 % of the run) while its envelope shrinks by the
    # rate ρ = √β ≈ 0.949 per step, i.e. by ρ¹² ≈ 0.53 in loss over the last fifth (6 steps):
    # less than half, which loss_trend calls "not converged" rather than "still falling".
    rho = lr_explorer.problem.momentum_rate(lr_explorer.lr_slider.value, 0.9)
    assert 0.5 < rho ** 12 < 0.6
    assert lr_explorer.text.endswith("after 30 steps: loss = 0.019 (oscillating, not converged)")


def test_set_updates_once_and_rejects_unknown_controls(lr_explorer):
    updates = len(lr_explorer.update_seconds)
    lr_explorer.set(lr=0.3, steps=20)
    assert len(lr_explorer.update_seconds) == updates + 1
    assert lr_explorer.lr_slider.value == 0.3  # the grid moved to pass through it
    with pytest.raises(TypeError, match="name must be one of the explorer's controls"):
        lr_explorer.set(learning_rate=0.1)
    assert sorted(lr_explorer.control_names()) == ["lr", "optimizer", "steps"]


def test_set_runs_exactly_the_rate_asked_for_not_the_nearest_grid_point(lr_explorer):
    before = lr_explorer.lr_slider.value
    lr_explorer.set(lr=0.0123)          # between two points of the slider's first grid
    assert lr_explorer.lr_slider.value == 0.0123
    assert lr_explorer.text.startswith("η = 0.0123 |")
    lr_explorer.lr_slider.value = 0.0124   # the learner's handle still moves on the grid
    assert lr_explorer.lr_slider.value != 0.0124
    lr_explorer.set(lr=before)


def test_lr_explorer_checks_its_problem():
    from lrcourse.problems import WavyValley

    with pytest.raises(ValueError, match="problem must be a 2-D problem"):
        widgets.lr_explorer(WavyValley())


def test_loss_axis_limits_move_in_large_jumps():
    assert lr_module.loss_limits([1.0, 1e-3, 1e-5], 1.0)[0] == 1e-8
    assert lr_module.loss_limits([1.0, 1e-3], 1.0)[0] == 1e-4
    assert lr_module.loss_limits([1.0, 1e-100], 1.0)[0] == 1e-64
    assert lr_module.loss_limits([1.0, np.nan, np.inf], 2.0)[0] == 2e-4


@pytest.mark.parametrize("lowest", [1e-3, 1e-5, 1e-12, 1e-30, 1e-100])
def test_loss_axis_keeps_room_above_the_divergence_threshold(lowest):
    # The threshold's label sits above its line: the line is at 86 % of the axis
    # height, and at least a decade below the top, however deep the axis goes.
    bottom, top = lr_module.loss_limits([2.0, lowest], 2.0)
    threshold = 2.0 * 1e4
    at = np.log10(threshold / bottom) / np.log10(top / bottom)
    assert at == pytest.approx(0.86) or (at < 0.86 and top == pytest.approx(10 * threshold))
    assert top >= 10 * threshold * (1 - 1e-12)


# ---------------------------------------------------------------- momentum explorer

def test_momentum_explorer_moves_the_point_on_the_rate_map(momentum_explorer):
    before = momentum_explorer.png()
    quietly(lambda: momentum_explorer.set(lr=2.0, momentum=0.3))
    assert momentum_explorer.png() != before
    lr = momentum_explorer.lr_slider.value  # 2.0 on the slider's grid
    np.testing.assert_allclose(momentum_explorer.point.marker.get_xydata(), [[lr, 0.3]])
    rate = momentum_explorer.problem.momentum_rate(lr, 0.3)
    assert f"η = {lr:#.3g} | β = 0.30 | ρ = {rate:#.3g} per step" in momentum_explorer.text
    assert "optimum η* = 2.31, β* = 0.27, ρ* = 0.519" in momentum_explorer.text


def test_momentum_explorer_reports_divergence(momentum_explorer):
    quietly(lambda: momentum_explorer.set(lr=4.0, momentum=0.2))
    assert "diverged at step" in momentum_explorer.text


# ---------------------------------------------------------------- schedule explorer

def test_schedule_explorer_shows_the_chosen_schedules_sliders(schedule_explorer):
    quietly(lambda: schedule_explorer.set(schedule="step decay", lr=0.5))
    shown = [c for row in schedule_explorer.parameter_rows for c in row.children]
    assert shown == [schedule_explorer.parameter_sliders["step_size"], schedule_explorer.parameter_sliders["decay"]]
    assert schedule_explorer.text.startswith("step_decay(lr=0.5, step_size=50, gamma=0.3)")
    before = schedule_explorer.png()
    quietly(lambda: schedule_explorer.set(step_size=20))
    assert schedule_explorer.png() != before
    np.testing.assert_allclose(schedule_explorer.schedule_line.line.get_ydata()[:25],
                               [0.5] * 20 + [0.15] * 5)


@pytest.mark.parametrize("choice", list(widgets.schedule.SCHEDULE_CHOICES))
def test_every_schedule_choice_stays_positive_over_the_run(schedule_explorer, choice):
    # An optimizer rejects a zero rate: every choice must stay > 0 for all STEPS
    # steps, at every end of every one of its sliders.
    steps = np.arange(widgets.schedule.STEPS)
    names = widgets.schedule.SCHEDULE_CHOICES[choice][1]
    with schedule_explorer.hold():
        schedule_explorer.schedule_dropdown.value = choice
        for lr in (schedule_explorer.lr_slider.min, schedule_explorer.lr_slider.max):
            schedule_explorer.lr_slider.value = 10 ** lr
            for name in names:
                slider = schedule_explorer.parameter_sliders[name]
                ends = slider.options if isinstance(slider, ipywidgets.Dropdown) else (
                    (10 ** slider.min, 10 ** slider.max) if isinstance(slider, ipywidgets.FloatLogSlider)
                    else (slider.min, slider.max))
                for value in ends:
                    slider.value = value
                    lrs = schedule_explorer.current_schedule()(steps)
                    assert np.all(np.isfinite(lrs) & (lrs > 0)), (choice, name, value)
        schedule_explorer.lr_slider.value = 0.5
        for name in names:
            schedule_explorer.parameter_sliders[name].value = widgets.schedule._PARAMETERS[name][2]


@pytest.mark.parametrize("choice", ["warm-up + cosine", "cosine warm restarts (SGDR)"])
def test_schedule_explorer_runs_sgd_with_the_schedule(schedule_explorer, choice):
    quietly(lambda: schedule_explorer.set(schedule=choice, lr=0.5))
    schedule = schedule_explorer.current_schedule()
    assert schedule_explorer.text.startswith(widgets._base.short_numbers(repr(schedule)))
    np.testing.assert_allclose(schedule_explorer.last_result.lr[:, 0], schedule(np.arange(widgets.schedule.STEPS)))
    np.testing.assert_allclose(schedule_explorer.last_result.lr[:, 1], 0.5)


def test_a_decaying_schedule_beats_the_constant_noise_floor(schedule_explorer):
    schedule_explorer.set(schedule="cosine", lr=1.0, eta_min_ratio=1e-3)
    result = schedule_explorer.last_result
    excess = result.train_loss - schedule_explorer.f_star
    tail = result.eval_steps >= 0.8 * widgets.schedule.STEPS
    assert excess[tail, 0].mean() < 0.5 * excess[tail, 1].mean()


# ------------------------------------------------------------- optimizer comparison

def test_comparison_reruns_only_the_optimizer_that_changed(comparison):
    comparison.set(problem=comparison_module._QUADRATIC)
    cached = len(comparison._cache)
    quietly(lambda: comparison.set(Adam=0.02))
    assert len(comparison._cache) == cached + 1
    assert f"Adam η={widgets._base.sig3(comparison.lr_sliders['Adam'].value)}:" in comparison.text


def test_comparison_hides_unticked_optimizers(comparison):
    toggle = comparison.optimizer_toggles["RMSprop"]
    toggle.value = True
    assert comparison.paths["RMSprop"].path.get_visible() and "RMSprop" in comparison.text
    before = comparison.png()
    toggle.value = False
    assert not comparison.paths["RMSprop"].path.get_visible() and "RMSprop" not in comparison.text
    assert comparison.png() != before


def test_comparison_switches_problem_and_resets_the_rates(comparison):
    quietly(lambda: comparison.set(problem=comparison_module._ROSENBROCK))
    assert comparison.lr_sliders["GD"].value == pytest.approx(2e-3)
    assert comparison.steps_slider.value == 500
    assert comparison.axes[0].get_title().startswith("Rosenbrock")
    quietly(lambda: comparison.set(GD=0.01))
    assert "GD η=0.0100: diverged at step" in comparison.text
    comparison.set(problem=comparison_module._QUADRATIC)


# ------------------------------------------------------------------- in a notebook

def test_a_notebook_cell_with_an_explorer_stores_a_static_png(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("from lrcourse.widgets import lr_explorer\nlr_explorer()")]
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = notebook.cells[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result"], outputs
    data = outputs[0]["data"]
    assert base64.b64decode(data["image/png"]).startswith(PNG)
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"].startswith("η = 1.50 | 2/λ_max = 2.00 | rate max|1 − ηλ| = 0.850")


def test_schedule_axis_top_moves_in_steps_of_1_3_10():
    top = widgets.schedule._top
    assert [round(top(v) / widgets.schedule._HEADROOM, 10) for v in (1.0, 0.999, 1.01, 0.5, 0.3, 0.31, 3.0, 0.01)] == \
        [1.0, 1.0, 3.0, 1.0, 0.3, 1.0, 3.0, 0.01]


def test_sticky_loss_limits_only_deepen_while_the_key_is_the_same():
    limits = lr_module.StickyLossLimits()
    assert limits("a", [1.0, 1e-10], 1.0)[0] == 1e-16
    assert limits("a", [1.0, 1e-2], 1.0)[0] == 1e-16  # kept while dragging
    assert limits("b", [1.0, 1e-2], 1.0)[0] == 1e-4  # a new key starts afresh


def test_the_schedule_explorers_written_down_minimum_is_the_computed_one():
    from lrcourse.problems import SoftmaxRegression
    from lrcourse.widgets import schedule

    for l2, f_star in schedule.KNOWN_MINIMA.items():
        assert schedule._minimum(SoftmaxRegression(l2=l2)) == pytest.approx(f_star, rel=1e-12)


# ------------------------------------------------------------ geometry of the figure
# What a learner sees in the browser: in every state (diverged, Momentum, each
# optimizer, each schedule) no text sits on another text, a legend or the ✕ mark,
# every text stays inside the figure, and a legend lists only what is drawn.

def _visible(artist) -> bool:
    return artist.get_visible() and (not hasattr(artist, "get_text") or artist.get_text().strip())


def _tick_labels(ax, renderer) -> list:
    """Tick labels actually drawn: those of ticks inside the axis' view."""
    boxes = []
    for axis, lo, hi in ((ax.xaxis, "x0", "x1"), (ax.yaxis, "y0", "y1")):
        view = ax.get_window_extent(renderer)
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            for label in (tick.label1, tick.label2):
                if not (_visible(label) and tick.get_visible()):
                    continue
                box = label.get_window_extent(renderer)
                middle = (box.x0 + box.x1) / 2 if lo == "x0" else (box.y0 + box.y1) / 2
                if getattr(view, lo) - 1 <= middle <= getattr(view, hi) + 1:
                    boxes.append((f"tick {label.get_text()}", box))
    return boxes


def text_boxes(figure) -> list:
    """(name, window extent) of every visible text, legend and ✕ mark of ``figure``."""
    renderer = figure.canvas.get_renderer()
    boxes = []
    for ax in figure.axes:
        for text in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts):
            if _visible(text):
                boxes.append((repr(text.get_text()), text.get_window_extent(renderer)))
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            boxes.append(("legend", legend.get_window_extent(renderer)))
        for line in ax.lines:
            if line.get_visible() and line.get_marker() == "X" and len(line.get_xdata()):
                boxes.append(("✕", line.get_window_extent(renderer)))
        boxes += _tick_labels(ax, renderer)
    return boxes


def overlaps(figure, slack: float = 0.5) -> list:
    """Pairs of text boxes that overlap, and boxes that leave the figure."""
    boxes = text_boxes(figure)
    found = []
    for i, (name_a, a) in enumerate(boxes):
        if not figure.bbox.padded(1).contains(a.x0, a.y0) or not figure.bbox.padded(1).contains(a.x1, a.y1):
            found.append((name_a, "outside the figure"))
        for name_b, b in boxes[i + 1:]:
            if name_a == name_b == "✕":
                continue  # runs that diverge at the same step share their mark
            if (min(a.x1, b.x1) - max(a.x0, b.x0) > slack) and (min(a.y1, b.y1) - max(a.y0, b.y0) > slack):
                found.append((name_a, name_b))
    return found


def assert_clear(explorer, state: str) -> None:
    found = overlaps(explorer.figure)
    assert not found, f"{type(explorer).__name__} {state}: overlapping text {found}"


def legend_entries(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


LR_STATES = [dict(lr=1.5), dict(lr=2.3, steps=40), dict(lr=6.3), dict(lr=0.002), dict(steps=1),
             dict(steps=200, lr=1.9), dict(optimizer="Momentum", lr=0.5, steps=50),
             dict(optimizer="Momentum", lr=6.3), dict(optimizer="Adam", lr=0.1), dict(optimizer="Adam", lr=6.3)]


@pytest.mark.parametrize("state", LR_STATES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_lr_explorer_text_never_overlaps(lr_explorer, state):
    lr_explorer.set(**{"lr": 1.5, "steps": 50, "optimizer": "GD", **state})
    assert_clear(lr_explorer, str(state))
    name = lr_explorer.optimizer_dropdown.value
    end = ["end"] if lr_explorer.path.end_in_view() else []  # a diverged path's end is off the plot
    assert legend_entries(lr_explorer.axes[0]) == ["minimiser", name, "start", *end]
    handle = lr_explorer.axes[0].get_legend().legend_handles[1]
    assert handle.get_color() == lr_explorer.path.path.get_color()  # the legend shows the path drawn


@pytest.mark.parametrize("state", [dict(lr=1.0, momentum=0.7), dict(lr=3.0, momentum=0.2),
                                   dict(lr=4.4, momentum=0.99), dict(lr=4.4, momentum=0.0),
                                   dict(lr=0.0101, momentum=0.0), dict(lr=2.0, momentum=0.5, steps=1),
                                   dict(lr=4.4, momentum=0.5, steps=200)])
def test_momentum_explorer_text_never_overlaps(momentum_explorer, state):
    momentum_explorer.set(**{"steps": 60, **state})
    assert_clear(momentum_explorer, str(state))


@pytest.mark.parametrize("choice", list(widgets.schedule.SCHEDULE_CHOICES))
@pytest.mark.parametrize("lr", [0.01, 0.5, 3.0])
def test_schedule_explorer_text_never_overlaps(schedule_explorer, choice, lr):
    schedule_explorer.set(schedule=choice, lr=lr)
    assert_clear(schedule_explorer, f"{choice}, η₀ = {lr}")
    # The schedule panel's legend sits above η₀, where no curve of it goes.
    ax = schedule_explorer.axes[0]
    legend = ax.get_legend().get_window_extent(schedule_explorer.canvas.get_renderer())
    assert legend.y0 > ax.transData.transform((0, lr))[1]
    lr = schedule_explorer.lr_slider.value  # the slider's grid point nearest lr
    assert schedule_explorer.schedule_line.line.get_ydata().max() <= lr * (1 + 1e-12)


COMPARISON_STATES = [("GD",), ("Momentum",), ("Adagrad",), ("RMSprop",), ("Adam",), ("AdamW",),
                     ("GD", "Adam"), tuple(comparison_module.OPTIMIZERS)]


@pytest.mark.parametrize("problem", list(comparison_module.PROBLEMS))
@pytest.mark.parametrize("ticked", COMPARISON_STATES, ids="+".join)
def test_comparison_legend_lists_only_the_ticked_optimizers(comparison, problem, ticked):
    comparison.set(problem=problem)
    with comparison.hold():
        for name, toggle in comparison.optimizer_toggles.items():
            toggle.value = name in ticked
    assert legend_entries(comparison.axes[0]) == ["minimiser", *ticked, "start", "end"]
    drawn = [name for name, path in comparison.paths.items() if path.path.get_visible()]
    assert drawn == list(ticked)
    for name, slider in comparison.lr_sliders.items():
        assert slider.disabled == (name not in ticked)  # an unticked rate moves nothing
    assert_clear(comparison, f"{problem}, {ticked}")
    with comparison.hold():  # every ticked one diverges: the ✕ marks crowd the top
        for name in ticked:
            comparison.lr_sliders[name].value = 3.0
    assert_clear(comparison, f"{problem}, {ticked} at η = 3")
    comparison.set(problem=comparison_module._QUADRATIC)
    for name, toggle in comparison.optimizer_toggles.items():
        toggle.value = name in ("GD", "Momentum", "Adam")


# ------------------------------------------------------------------ result lines

SIGNIFICANT = r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"


def too_precise(text: str) -> list[str]:
    """Numbers of ``text`` with more than 3 significant digits ("150" has 2)."""
    import re

    found = []
    for number in re.findall(SIGNIFICANT, text):
        mantissa = re.split(r"[eE]", number)[0]
        digits = (mantissa.replace(".", "").lstrip("0") if "." in mantissa
                  else mantissa.lstrip("0").rstrip("0"))
        if len(digits) > 3:
            found.append(number)
    return found


def test_result_lines_print_3_significant_digits(lr_explorer, momentum_explorer, schedule_explorer):
    odd = 10 ** 0.2345678  # a slider value far from a round number
    for state in (dict(lr=odd), dict(lr=2e-3), dict(lr=odd, optimizer="Adam")):
        lr_explorer.set(**{"optimizer": "GD", **state})
        assert not too_precise(lr_explorer.text), lr_explorer.text
    momentum_explorer.set(lr=odd, momentum=0.33)
    assert not too_precise(momentum_explorer.text), momentum_explorer.text
    for choice in widgets.schedule.SCHEDULE_CHOICES:
        schedule_explorer.set(schedule=choice, lr=odd / 3)
        assert not too_precise(schedule_explorer.text), schedule_explorer.text
    lr_explorer.set(lr=1.5, steps=50, optimizer="GD")


def test_a_slow_rate_never_reads_1(lr_explorer):
    lr_explorer.set(lr=2e-3, optimizer="GD")
    assert "rate max|1 − ηλ| = 1 − 0.0002 per step: converging" in lr_explorer.text


@pytest.mark.parametrize("name", EXPLORERS)
def test_the_result_box_has_a_fixed_height(name, request):
    # The browser keeps the explorer's height while dragging: the result is a box
    # of result_lines lines whatever the text, and the text never needs more.
    explorer = request.getfixturevalue(name)
    assert f"height: {1.4 * explorer.result_lines:.1f}em" in explorer.result.value
    assert explorer.text.count("\n") < explorer.result_lines


def test_no_control_label_is_cut(lr_explorer, momentum_explorer, schedule_explorer, comparison):
    from lrcourse.widgets._base import label_px

    for explorer in (lr_explorer, momentum_explorer, schedule_explorer, comparison):
        for control in walk(explorer.widget):
            if isinstance(control, ipywidgets.Checkbox):
                assert int(control.layout.width[:-2]) >= label_px(control.description) + 20
            elif isinstance(control, ipywidgets.ValueWidget) and getattr(control, "description", ""):
                assert int(control.style.description_width[:-2]) >= label_px(control.description)


# ------------------------------------------- what an outside newcomer found (issue 8)

def test_a_newly_ticked_optimizer_has_its_symbol_in_the_legend(comparison):
    comparison.set(problem=comparison_module._QUADRATIC)
    for name in ("GD", "Momentum", "Adam"):
        comparison.optimizer_toggles[name].value = name == "GD"
    comparison.optimizer_toggles["Adagrad"].value = True  # newly ticked
    legend = comparison.axes[0].get_legend()
    for text, handle in zip(legend.get_texts(), legend.legend_handles):
        assert handle.get_visible() and not handle.get_animated(), f"blank legend entry {text.get_text()}"
    comparison.optimizer_toggles["Adagrad"].value = False
    for name in ("GD", "Momentum", "Adam"):
        comparison.optimizer_toggles[name].value = True


def test_the_rate_used_is_the_rate_the_slider_shows(comparison):
    slider = comparison.lr_sliders["Adagrad"]
    comparison.optimizer_toggles["Adagrad"].value = True
    for problem in (comparison_module._ROSENBROCK, comparison_module._QUADRATIC):
        comparison.set(problem=problem)
        exponent = (np.log10(slider.value) - slider.min) / slider.step
        assert abs(exponent - round(exponent)) < 1e-6  # a grid point: the browser shows this value
        assert f"Adagrad η={widgets._base.sig3(slider.value)}:" in comparison.text
        assert slider.value == pytest.approx(comparison_module.DEFAULT_LRS[problem]["Adagrad"])
    slider.value = 0.5011  # from code, between two grid points: snapped
    exponent = (np.log10(slider.value) - slider.min) / slider.step
    assert abs(exponent - round(exponent)) < 1e-6
    comparison.optimizer_toggles["Adagrad"].value = False


def _bbox_inside(inner, outer, slack=0.5) -> bool:
    return (inner.x0 >= outer.x0 - slack and inner.x1 <= outer.x1 + slack
            and inner.y0 >= outer.y0 - slack and inner.y1 <= outer.y1 + slack)


@pytest.mark.parametrize("lr_end", [0, -1])
@pytest.mark.parametrize("beta", [0.0, 0.7, 0.99])
def test_the_current_point_on_the_rate_map_is_whole_and_clear_of_the_legend(momentum_explorer, lr_end, beta):
    slider = momentum_explorer.lr_slider
    lr = 10 ** (slider.min if lr_end == 0 else slider.max)
    momentum_explorer.set(lr=lr, momentum=beta)
    for probe in (lr, 0.0708):
        momentum_explorer.set(lr=probe, momentum=beta if probe == lr else 0.9)
        renderer = momentum_explorer.canvas.get_renderer()
        ax = momentum_explorer.axes[2]
        marker = momentum_explorer.point.marker.get_window_extent(renderer)
        assert _bbox_inside(marker, ax.get_window_extent(renderer)), (probe, beta)
        legend = ax.get_legend().get_window_extent(renderer)
        assert not marker.overlaps(legend)
    momentum_explorer.set(lr=1.0, momentum=0.7, steps=60)


@pytest.mark.parametrize("choice", list(widgets.schedule.SCHEDULE_CHOICES))
def test_the_schedule_controls_keep_their_height(schedule_explorer, choice):
    schedule_explorer.set(schedule=choice)
    rows = schedule_explorer.parameter_rows
    assert len(schedule_explorer.parameter_box.children) == 2
    assert all(row.layout.height == "32px" and len(row.children) <= 2 for row in rows)


def _pixel(explorer, xy_data, ax):
    import io

    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(explorer.png())).convert("RGB"))
    x, y = ax.transData.transform(xy_data)
    return image[image.shape[0] - int(round(y)) - 1, int(round(x))]


def test_the_minimiser_shows_on_top_of_a_converged_end(lr_explorer):
    from matplotlib.colors import to_rgb

    from lrcourse import style

    lr_explorer.set(lr=1.5, steps=200, optimizer="GD")
    pixel = _pixel(lr_explorer, (0.0, 0.0), lr_explorer.axes[0])
    assert np.abs(pixel / 255 - np.array(to_rgb(style.REFERENCE_COLOR))).max() < 0.1
    lr_explorer.set(steps=50)


def test_a_diverged_path_has_no_end_in_the_legend(lr_explorer, comparison):
    lr_explorer.set(lr=6.3, optimizer="GD", steps=50)
    assert "end" not in legend_entries(lr_explorer.axes[0])
    lr_explorer.set(lr=1.5)
    assert "end" in legend_entries(lr_explorer.axes[0])


def test_the_constant_reference_is_not_drawn_under_a_constant_schedule(schedule_explorer):
    schedule_explorer.set(schedule="constant")
    assert not schedule_explorer.constant_line.line.get_visible()
    assert legend_entries(schedule_explorer.axes[0]) == ["schedule"]
    schedule_explorer.set(schedule="cosine")
    assert schedule_explorer.constant_line.line.get_visible()
    assert legend_entries(schedule_explorer.axes[0]) == ["schedule", "constant η₀"]


@pytest.mark.parametrize("name", EXPLORERS)
def test_legends_and_labels_are_drawn_above_the_moving_lines(name, request):
    explorer = request.getfixturevalue(name)
    for ax in explorer.axes:
        legend = ax.get_legend()
        inside = legend is not None and legend.get_frame_on() and legend.get_window_extent(
            explorer.canvas.get_renderer()).overlaps(ax.get_window_extent())
        if inside and ax is not explorer.axes[0] or not inside:
            continue
        # a legend inside a panel with a moving path is drawn after it, opaque
        assert legend in explorer._on_top.values() or not any(a.axes is ax for a in explorer._moving)
    for ax in explorer.axes:
        for text in ax.texts:
            if text.get_text().startswith("diverg") and text not in [a for a in explorer._moving]:
                assert text in explorer._on_top.values(), text.get_text()


def test_one_step_has_integer_step_ticks(lr_explorer):
    lr_explorer.set(steps=1)
    lr_explorer.canvas.draw()
    labels = [t.get_text() for t in lr_explorer.axes[1].get_xticklabels() if t.get_text()]
    assert labels and all("." not in label for label in labels), labels
    lr_explorer.set(steps=50)


def test_result_rates_read_like_the_slider_readout(lr_explorer):
    lr_explorer.set(lr=2e-3, optimizer="GD")
    shown = f"{lr_explorer.lr_slider.value:#.3g}"  # d3's ".3g" keeps trailing zeros
    assert lr_explorer.text.startswith(f"η = {shown} ")


def test_each_optimizer_names_its_own_threshold(lr_explorer):
    lr_explorer.set(optimizer="Momentum", lr=0.5)
    assert "(2 + 2β)/λ_max = 3.80" in lr_explorer.text and "| 2/λ_max" not in lr_explorer.text
    lr_explorer.set(optimizer="Adam", lr=0.1)
    assert "GD's limit 2/λ_max" in lr_explorer.text
    lr_explorer.set(optimizer="GD", lr=1.5)


def test_an_oscillating_run_is_not_called_converging(lr_explorer):
    lr_explorer.set(optimizer="Adam", lr=6.3, steps=50)
    assert "(converging)" not in lr_explorer.text and "oscillating" in lr_explorer.text
    assert lr_module.loss_trend(10.0 ** -np.linspace(0, 5, 50)) == "converging"
    assert lr_module.loss_trend(np.tile([10.0, 0.01], 25)) == "oscillating, not converged"
    lr_explorer.set(optimizer="GD", lr=1.5)


# ------------------------------------- the explorers of lessons 02, 06 and 07 (issue 10)

@pytest.fixture(scope="module")
def noise_explorer():
    return quietly(widgets.noise_floor_explorer)


@pytest.fixture(scope="module")
def finder_explorer():
    return quietly(widgets.finder_explorer)


@pytest.fixture(scope="module")
def generalization_explorer():
    return quietly(widgets.generalization_explorer)


NEW_EXPLORERS = ["noise_explorer", "finder_explorer", "generalization_explorer"]


@pytest.mark.parametrize("name", NEW_EXPLORERS)
def test_the_new_explorers_build_headless_with_a_png_a_result_and_a_fixed_box(name, request):
    explorer = request.getfixturevalue(name)
    assert explorer.png().startswith(PNG)
    assert explorer.text and explorer.text in explorer.result.value
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert base64.b64decode(bundle["image/png"]) == explorer.png()
    assert explorer.text.count("\n") < explorer.result_lines
    kinds = (ipywidgets.FloatLogSlider, ipywidgets.IntSlider, ipywidgets.FloatSlider)
    sliders = [w for w in walk(explorer.widget) if isinstance(w, kinds)]
    assert isinstance(sliders[0], ipywidgets.FloatLogSlider) and sliders[0].description.startswith("η")
    assert sliders[0].value < sliders[0].base ** sliders[0].max  # the browser test moves it right
    from lrcourse.widgets._base import label_px

    for control in walk(explorer.widget):
        if isinstance(control, ipywidgets.ValueWidget) and getattr(control, "description", ""):
            assert int(control.style.description_width[:-2]) >= label_px(control.description)


NEW_STATES = {
    "noise_explorer": [dict(lr=0.01), dict(lr=1.0), dict(lr=1.0, batch_size=1), dict(batch_size=512, lr=0.01),
                       dict(sampling="reshuffled epochs"), dict(steps=1000, seed=9), dict(steps=100, lr=0.37)],
    "finder_explorer": [dict(beta=0.0), dict(beta=0.99), dict(batch_size=512), dict(batch_size=8, seed=9),
                        dict(num_steps=20), dict(num_steps=300), dict(start_lr=1e-2), dict(end_lr=0.3),
                        dict(start_lr=1e-6, end_lr=100)],
    "generalization_explorer": [dict(lr=0.025), dict(lr=3.2), dict(batch_size=8, lr=3.2), dict(batch_size=128),
                                dict(steps=25), dict(steps=300, lr=0.0707)],
}


@pytest.mark.parametrize("name", NEW_EXPLORERS)
def test_the_new_explorers_change_with_every_state_and_keep_text_clear_and_short(name, request):
    explorer = request.getfixturevalue(name)
    defaults = {control: explorer._control(control).value for control in explorer.control_names()}
    for state in NEW_STATES[name]:
        before = explorer.png()
        quietly(lambda: explorer.set(**state))
        assert explorer.png() != before, state
        assert_clear(explorer, str(state))
        assert not too_precise(explorer.text), explorer.text
        assert explorer.text.count("\n") < explorer.result_lines
    with explorer.hold():
        for control, value in defaults.items():
            explorer._control(control).value = value


# noise floor ------------------------------------------------------------------------

def test_the_noise_floor_matches_eta_sigma2_over_4b_for_small_rates(noise_explorer):
    from lrcourse.widgets import noise_floor

    ratios = []
    for lr in (0.05, 0.1):
        noise_explorer.set(lr=lr, batch_size=16, sampling="independent draws", steps=300, seed=0)
        lr = noise_explorer.lr_slider.value
        predicted = noise_floor.predicted_floor(lr, 16, noise_explorer.sigma2)
        assert predicted == pytest.approx(lr * noise_explorer.sigma2 / 64)
        ratios.append(noise_explorer.measured / predicted)
        np.testing.assert_allclose(noise_explorer.prediction_line.get_ydata(), predicted)
        assert f"{noise_explorer.measured / predicted:.2f} × predicted" in noise_explorer.text
    assert all(0.75 < r < 1.25 for r in ratios), ratios
    # a larger batch, a lower floor (×1/4 for ×4 the batch, within the noise of one run)
    noise_explorer.set(lr=0.1, batch_size=64)
    assert 0.15 < noise_explorer.measured / (ratios[1] * noise_floor.predicted_floor(
        noise_explorer.lr_slider.value, 16, noise_explorer.sigma2)) < 0.4
    noise_explorer.set(batch_size=16)


def test_the_noise_explorers_sigma2_is_the_spread_of_the_per_example_gradients(noise_explorer):
    problem, x_star = noise_explorer.problem, noise_explorer.x_star
    assert np.linalg.norm(problem.grad(x_star)) < 1e-9
    from lrcourse.widgets import schedule

    assert noise_explorer.f_star == pytest.approx(schedule.reference_loss(), rel=1e-9)
    g = problem.per_example_grads(x_star)
    assert noise_explorer.sigma2 == pytest.approx(np.mean(np.sum(g ** 2, axis=1)), rel=1e-9)


def test_reshuffled_epochs_sit_below_the_independent_floor_at_small_rates(noise_explorer):
    noise_explorer.set(lr=0.05, batch_size=16, sampling="reshuffled epochs")
    assert "the formula assumes independent draws" in noise_explorer.text
    reshuffled = noise_explorer.measured
    noise_explorer.set(sampling="independent draws")
    assert reshuffled < 0.6 * noise_explorer.measured
    noise_explorer.set(lr=0.1)


def test_the_noise_explorer_reports_a_diverged_run(noise_explorer):
    noise_explorer.set(lr=1.0, batch_size=1)
    at, excess, diverged_at = noise_explorer.last_run
    assert diverged_at > 0 and "diverged at step" in noise_explorer.text
    assert noise_explorer.curve.cross.get_xdata()[0] <= diverged_at
    noise_explorer.set(lr=0.1, batch_size=16)


# finder -----------------------------------------------------------------------------

@pytest.mark.parametrize("state", [dict(), dict(beta=0.0), dict(beta=0.5), dict(beta=0.99),
                                   dict(batch_size=128, seed=2, num_steps=60)])
def test_the_finder_explorer_shows_what_tune_lr_finder_returns(finder_explorer, state):
    from lrcourse import optim, tune

    finder_explorer.set(**{"start_lr": 1e-5, "end_lr": 10.0, "num_steps": 100, "beta": 0.98, "batch_size": 32,
                           "seed": 0, **state})
    settings = dict(start_lr=finder_explorer.start_lr_slider.value, end_lr=finder_explorer.end_lr_slider.value,
                    num_steps=finder_explorer.num_steps_slider.value, beta=finder_explorer.beta_slider.value,
                    batch_size=int(finder_explorer.batch_size_slider.value), seed=finder_explorer.seed_slider.value)
    expected = tune.lr_finder(finder_explorer.problem, optim.SGD, **settings)
    shown = finder_explorer.last
    np.testing.assert_allclose(shown["lrs"], expected.lrs, rtol=1e-12)
    np.testing.assert_allclose(shown["smoothed"], expected.smoothed, rtol=1e-12)
    assert shown["stopped_at"] == expected.stopped_at
    assert shown["suggestions"] == pytest.approx(expected.suggestions, rel=1e-12)
    for name, line in finder_explorer.rule_lines.items():
        assert line.get_xdata()[0] == pytest.approx(expected.suggestions[name])
    np.testing.assert_allclose(finder_explorer.smooth_line.get_ydata(), expected.smoothed)
    for name, label in widgets.finder.RULE_LABELS.items():
        assert f"{label} {widgets._base.sig3(expected.suggestions[name])}" in finder_explorer.text


def test_moving_beta_re_smooths_without_training_again(finder_explorer):
    finder_explorer.set(start_lr=1e-5, end_lr=10.0, num_steps=100, batch_size=32, seed=0, beta=0.98)
    runs = len(finder_explorer._cache)
    for beta in (0.9, 0.5, 0.0, 0.98):
        finder_explorer.beta_slider.value = beta
    assert len(finder_explorer._cache) == runs
    finder_explorer.seed_slider.value = 1
    assert len(finder_explorer._cache) == runs + 1
    finder_explorer.seed_slider.value = 0


def test_the_finder_explorer_updates_only_beta_while_dragging(finder_explorer):
    # every other control trains the network again: it updates when released
    assert finder_explorer.beta_slider.continuous_update
    for name in ("start_lr", "end_lr", "num_steps", "batch_size", "seed"):
        assert not finder_explorer._control(name).continuous_update, name


# generalization ---------------------------------------------------------------------

def test_the_generalization_explorer_shows_the_sweep_it_selects(generalization_explorer):
    from lrcourse.widgets import generalization as g

    generalization_explorer.set(lr=0.2, batch_size=128, steps=150)
    result = g.sweeps(0)[128]
    i = int(np.flatnonzero(result.eval_steps == 150)[0])
    np.testing.assert_allclose(generalization_explorer.train_line.get_ydata(), result.train_loss[i])
    np.testing.assert_allclose(generalization_explorer.val_line.get_ydata(), result.val_loss[i])
    by_val = int(np.nanargmin(result.val_loss[i]))
    by_train = int(np.nanargmin(result.train_loss[i]))
    assert generalization_explorer.best_val.get_xdata()[0] == pytest.approx(g.LRS[by_val])
    assert generalization_explorer.best_train.get_xdata()[0] == pytest.approx(g.LRS[by_train])
    assert f"at η = {widgets._base.sig3(g.LRS[by_val])} | ◆" in generalization_explorer.text
    k = int(np.argmin(np.abs(g.LRS - 0.2)))
    np.testing.assert_allclose(generalization_explorer.val_curve.get_ydata(), result.val_loss[:, k])
    assert generalization_explorer.budget_line.get_xdata()[0] == 150
    generalization_explorer.set(batch_size=32, steps=200)


def test_the_generalization_sweep_is_the_librarys_own_run():
    from lrcourse import optim, train
    from lrcourse.problems import MLP
    from lrcourse.widgets import generalization as g

    problem = MLP(hidden=32)
    lrs = g.LRS[[3, 8]]
    alone = train.run(problem, optim.SGD(lr=lrs[:, None]), problem.init(seed=0), g.STEPS, batch_size=32, seed=0,
                      eval_every=g.EVAL_EVERY)
    np.testing.assert_allclose(alone.val_loss, g.sweeps(0)[32].val_loss[:, [3, 8]], rtol=1e-9)


def test_the_eta_slider_sits_on_the_sweeps_grid(generalization_explorer):
    from lrcourse.widgets import generalization as g

    slider = generalization_explorer.lr_slider
    grid = 10 ** (slider.min + slider.step * np.arange(round((slider.max - slider.min) / slider.step) + 1))
    np.testing.assert_allclose(grid, g.LRS, rtol=1e-9)


# bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("factory, argument, bad, message", [
    ("noise_floor_explorer", "lr", 5.0, r"lr must be a number in \[0.01, 1\]; got 5.0"),
    ("noise_floor_explorer", "batch_size", 24, "batch_size must be one of 1, 2, 4"),
    ("noise_floor_explorer", "sampling", "random", "sampling must be one of 'independent draws'"),
    ("noise_floor_explorer", "steps", 50, "steps must be an integer in"),
    ("noise_floor_explorer", "seed", -1, "seed must be an integer in"),
    ("finder_explorer", "start_lr", 1.0, "start_lr must be a number in"),
    ("finder_explorer", "end_lr", 1000.0, "end_lr must be a number in"),
    ("finder_explorer", "num_steps", 10, "num_steps must be an integer in"),
    ("finder_explorer", "beta", 1.0, "beta must be a number in"),
    ("finder_explorer", "batch_size", 1, "batch_size must be one of 8, 16"),
    ("finder_explorer", "seed", 2.5, "seed must be an integer in"),
    ("generalization_explorer", "lr", 0.3, "lr must be a rate of the explorer's grid .*got 0.3. the nearest is 0.283"),
    ("generalization_explorer", "lr", -1.0, "lr must be a positive"),
    ("generalization_explorer", "batch_size", 16, "batch_size must be one of 8, 32, 128"),
    ("generalization_explorer", "steps", 210, "steps must be a multiple of 25"),
    ("generalization_explorer", "steps", 400, "steps must be an integer in"),
])
def test_the_new_explorers_refuse_bad_arguments_naming_them(factory, argument, bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        getattr(widgets, factory)(**{argument: bad})


@pytest.mark.parametrize("name, argument, bad", [("noise_explorer", "batch_size", 24),
                                                 ("finder_explorer", "batch_size", 1024),
                                                 ("generalization_explorer", "batch_size", 16),
                                                 ("noise_explorer", "lr", 2.0)])
def test_set_refuses_what_a_new_explorers_control_cannot_show(name, argument, bad, request):
    explorer = request.getfixturevalue(name)
    before = explorer.text
    with pytest.raises(ValueError, match=f"{argument} must be"):
        explorer.set(**{argument: bad})
    assert explorer.text == before


def test_a_diverged_rate_is_marked_and_reported_in_the_generalization_explorer(generalization_explorer):
    from lrcourse.widgets import generalization as g

    generalization_explorer.set(lr=3.2, batch_size=8, steps=300)
    result = g.sweeps(0)[8]
    assert result.diverged[-1]
    assert generalization_explorer.text.endswith(f"○ η = 3.20: diverged at step {int(result.diverged_at[-1])}")
    assert len(generalization_explorer.cross.get_xdata()) == 1
    generalization_explorer.set(lr=0.2, batch_size=32, steps=200)
    assert not len(generalization_explorer.cross.get_xdata())


# ------------------------------------------------------------------ threads

def test_controls_moved_from_two_threads_render_one_at_a_time(monkeypatch):
    """JupyterLab 4.6 delivers widget messages on two threads of the kernel (its main
    thread and a comm subshell), so two callbacks can run at once. Two threads drawing
    one matplotlib figure garble its PNG and can corrupt the heap (lesson 05's kernel
    died that way in CI): explorers must compute and render one update at a time, and
    a problem switch (a hold) must not interleave with a slider's update."""
    import threading
    import time as clock

    explorer = quietly(widgets.optimizer_comparison)
    kind = type(explorer)
    active, most = [0], [0]

    def counted(method):
        def run(self):
            active[0] += 1
            most[0] = max(most[0], active[0])
            try:
                clock.sleep(0.002)  # let the other thread run, as a busy machine would
                return method(self)
            finally:
                active[0] -= 1
        return run

    monkeypatch.setattr(kind, "_compute", counted(kind._compute))
    monkeypatch.setattr(kind, "_render", counted(kind._render))
    problems = list(comparison_module.PROBLEMS)
    errors = []

    def move_rates():
        for k in range(12):
            explorer.lr_sliders["GD"].value = [0.1, 0.2, 0.4][k % 3]

    def switch_problems():
        for k in range(4):
            explorer.problem_dropdown.value = problems[(k + 1) % 2]

    def recording(target):
        def run():
            try:
                target()
            except Exception as error:  # noqa: BLE001 - any error in a callback fails the test
                errors.append(repr(error))
        return run

    threads = [threading.Thread(target=recording(move_rates)), threading.Thread(target=recording(switch_problems))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert most[0] == 1, f"{most[0]} updates ran at once"
    explorer.problem_dropdown.value = problems[0]
    assert explorer.text.startswith("loss after")
