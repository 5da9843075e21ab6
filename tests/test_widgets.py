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
    quietly(lambda: setattr(lr_explorer.lr_slider, "value", 1.5))
    assert len(lr_explorer.update_seconds) == updates + 1
    assert lr_explorer.png() != before_png
    assert lr_explorer.text != before_text
    assert lr_explorer.text.startswith("η = 1.5 | 2/λ_max = 2.00 | after 50 steps loss = ")
    assert lr_explorer.text.endswith("(converging, rate 0.850 per step)")


def test_lr_explorer_reports_divergence_with_its_step(lr_explorer):
    quietly(lambda: lr_explorer.set(lr=2.3, steps=40, optimizer="GD"))
    result = lr_explorer.last_result
    assert result.diverged[0]
    assert lr_explorer.text == f"η = 2.3 | 2/λ_max = 2.00 | diverged at step {int(result.diverged_at[0])}"
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
    assert "(converging)" in lr_explorer.text or "(not converging)" in lr_explorer.text


def test_set_updates_once_and_rejects_unknown_controls(lr_explorer):
    updates = len(lr_explorer.update_seconds)
    lr_explorer.set(lr=0.3, steps=20)
    assert len(lr_explorer.update_seconds) == updates + 1
    assert lr_explorer.lr_slider.value == pytest.approx(0.3)
    with pytest.raises(TypeError, match="name must be one of the explorer's controls"):
        lr_explorer.set(learning_rate=0.1)
    assert sorted(lr_explorer.control_names()) == ["lr", "optimizer", "steps"]


def test_lr_explorer_checks_its_problem():
    from lrcourse.problems import WavyValley

    with pytest.raises(ValueError, match="problem must be a 2-D problem"):
        widgets.lr_explorer(WavyValley())


def test_loss_axis_limits_move_in_large_jumps():
    bottom, top = lr_module.loss_limits([1.0, 1e-3, 1e-5], 1.0)
    assert (bottom, top) == (1e-8, 1e5)
    assert lr_module.loss_limits([1.0, 1e-3], 1.0)[0] == 1e-4
    assert lr_module.loss_limits([1.0, 1e-100], 1.0)[0] == 1e-64
    assert lr_module.loss_limits([1.0, np.nan, np.inf], 2.0) == (2e-4, 2e5)


# ---------------------------------------------------------------- momentum explorer

def test_momentum_explorer_moves_the_point_on_the_rate_map(momentum_explorer):
    before = momentum_explorer.png()
    quietly(lambda: momentum_explorer.set(lr=2.0, momentum=0.3))
    assert momentum_explorer.png() != before
    np.testing.assert_allclose(momentum_explorer.point.marker.get_xydata(), [[2.0, 0.3]])
    rate = momentum_explorer.problem.momentum_rate(2.0, 0.3)
    assert f"η = 2 | β = 0.30 | ρ = {rate:.3f} per step" in momentum_explorer.text
    assert "optimum η* = 2.31, β* = 0.27, ρ* = 0.519" in momentum_explorer.text


def test_momentum_explorer_reports_divergence(momentum_explorer):
    quietly(lambda: momentum_explorer.set(lr=4.0, momentum=0.2))
    assert "diverged at step" in momentum_explorer.text


# ---------------------------------------------------------------- schedule explorer

def test_schedule_explorer_shows_the_chosen_schedules_sliders(schedule_explorer):
    quietly(lambda: schedule_explorer.set(schedule="step decay", lr=0.5))
    shown = list(schedule_explorer.parameter_box.children)
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
    assert schedule_explorer.text.startswith(repr(schedule))
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
    assert "Adam η=0.02:" in comparison.text


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
    assert "GD η=0.01: diverged at step" in comparison.text
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
    assert data["text/plain"].startswith("η = 1.5 | 2/λ_max = 2.00 | after 50 steps loss = ")


def test_schedule_axis_top_moves_in_steps_of_1_3_10():
    top = widgets.schedule._top
    assert [round(top(v) / 1.08, 10) for v in (1.0, 0.999, 1.01, 0.5, 0.3, 0.31, 3.0, 0.01)] == \
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
