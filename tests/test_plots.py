"""lrcourse.plots and lrcourse.style: every figure built from real results.

Each plot is checked for what a reader relies on: labelled axes and a title, log
scales where the range calls for them, the data drawn where it belongs (contour
orientation, divergence marks, suggestion lines), and the course style.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from lrcourse import optim, plots, schedules, style, train, tune  # noqa: E402
from lrcourse.problems import Quadratic, Rosenbrock, WavyValley  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def valley():
    return Quadratic.ill_conditioned_2d(kappa=10.0)


@pytest.fixture(scope="module")
def runs(valley):
    """GD converging, GD diverging and Adam on the course's 2-D valley."""
    x0 = valley.init()
    return {
        "GD": train.run(valley, optim.SGD(lr=1.5), x0, 40, keep_trajectory=True),
        "GD too fast": train.run(valley, optim.SGD(lr=2.3), x0, 40, keep_trajectory=True),
        "Adam": train.run(valley, optim.Adam(lr=0.1), x0, 40, keep_trajectory=True),
    }


def contour_sets(ax):
    return [c for c in ax.collections if isinstance(c, ContourSet) and c.filled is False]


def labelled(ax):
    assert ax.get_xlabel(), "x axis has no label"
    assert ax.get_ylabel(), "y axis has no label"
    assert ax.get_title(), "axes has no title"


def legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


# --------------------------------------------------------------------------- style

def test_each_optimizer_keeps_its_colour():
    assert style.optimizer_color("SGD") == style.optimizer_color("GD")
    assert style.optimizer_color("Adam (η=0.1)") == style.optimizer_color("adam")
    assert style.optimizer_color("rms_prop") == style.optimizer_color("RMSprop")
    assert style.optimizer_color("AdamW") != style.optimizer_color("Adam")
    assert style.optimizer_color("cosine") is None
    assert len(set(style.OPTIMIZER_COLORS[k] for k in ("sgd", "momentum", "nesterov", "adagrad",
                                                        "rmsprop", "adam", "adamw"))) == 7


def test_colors_for_never_gives_an_optimizers_colour_to_another_label():
    labels = ["Adam", "warm-up", "cosine", "GD"]
    colors = style.colors_for(labels)
    assert colors[0] == style.optimizer_color("Adam") and colors[3] == style.optimizer_color("GD")
    assert len(set(colors)) == 4
    assert style.colors_for(labels) == colors  # deterministic


def test_lr_colours_follow_the_rate_on_a_log_scale():
    colors = style.lr_colors([1e-3, 1e-2, 1e-1])
    middle = style.LR_CMAP(0.5)
    assert colors[1] == matplotlib.colors.to_hex(middle)
    assert len(set(colors)) == 3
    with pytest.raises(ValueError, match="lrs must be positive finite learning rates"):
        style.lr_norm([0.1, -1.0])


def test_plots_never_change_global_rcparams():
    before = dict(matplotlib.rcParams)
    plots.schedule_curves(schedules.constant(0.1), 10)
    assert matplotlib.rcParams["font.size"] == before["font.size"]
    assert matplotlib.rcParams["axes.spines.top"] == before["axes.spines.top"]


def test_text_is_legible_at_notebook_width(runs):
    fig, ax = plots.loss_curves(runs)
    assert tuple(fig.get_size_inches()) == style.SINGLE
    sizes = [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    sizes += [ax.xaxis.label.get_fontsize(), ax.yaxis.label.get_fontsize(), ax.title.get_fontsize()]
    sizes += [t.get_fontsize() for t in ax.get_legend().get_texts()] + [t.get_fontsize() for t in ax.texts]
    assert min(sizes) >= 10


# ------------------------------------------------------------------------ contours

def test_contour_puts_x1_on_the_horizontal_axis():
    # f = ½(10 x₁² + x₂²): curvature 10× larger along x₁, so every contour ellipse is
    # √10 times longer along x₂ (vertical).  A transposed grid would lie the other way.
    fig, ax = plots.contour_trajectory(Quadratic([10.0, 1.0]), xlim=(-2, 2), ylim=(-2, 2))
    (lines,) = contour_sets(ax)
    checked = 0
    for path in lines.get_paths():
        vertices = path.vertices
        if len(vertices) < 20:
            continue
        width = np.ptp(vertices[:, 0])
        height = np.ptp(vertices[:, 1])
        if height < 3.9:  # closed ellipse inside the box
            assert height / width == pytest.approx(np.sqrt(10.0), rel=0.05)
            checked += 1
    assert checked >= 3


class Tilted:
    """f(x) = x₁ + 0·x₂ on a non-square box: contour lines must be vertical."""

    dim = 2
    name = "f = x₁"

    def loss(self, x):
        return np.asarray(x, dtype=float)[..., 0] + 0.0


def test_contour_grid_is_not_transposed_on_a_non_square_box():
    fig, ax = plots.contour_trajectory(Tilted(), xlim=(0, 3), ylim=(-1, 0), levels=np.array([0.5, 1.5, 2.5]),
                                       equal_aspect=False)
    (lines,) = contour_sets(ax)
    for level, path in zip(lines.levels, lines.get_paths()):
        assert np.allclose(path.vertices[:, 0], level)  # x₁ = level, for every x₂
        assert np.ptp(path.vertices[:, 1]) == pytest.approx(1.0)


def test_contour_trajectory_draws_paths_starts_ends_and_the_minimiser(valley, runs):
    fig, ax = plots.contour_trajectory(valley, {"GD": runs["GD"], "Adam": runs["Adam"]})
    labelled(ax)
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    assert ax.get_aspect() == 1.0
    by_label = {line.get_label(): line for line in ax.lines}
    gd = runs["GD"].trajectory[:, 0, :]
    np.testing.assert_allclose(by_label["GD"].get_xydata(), gd)
    assert by_label["GD"].get_color() == style.optimizer_color("GD")
    assert by_label["Adam"].get_color() == style.optimizer_color("Adam")
    np.testing.assert_allclose(by_label["minimiser"].get_xydata(), [valley.minimizer])
    starts = [line for line in ax.lines if line.get_marker() == "o" and line.get_markerfacecolor() == "white"]
    ends = [line for line in ax.lines if line.get_marker() == "D"]
    assert any(np.allclose(s.get_xydata(), [gd[0]]) for s in starts)
    assert any(np.allclose(e.get_xydata(), [gd[-1]]) for e in ends)
    assert {"GD", "Adam", "minimiser", "start", "end"} <= set(legend_texts(ax))
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert x0 < gd[:, 0].min() and gd[:, 0].max() < x1 and y0 < gd[:, 1].min() and gd[:, 1].max() < y1


def test_contour_levels_are_log_spaced_on_rosenbrock():
    fig, ax = plots.contour_trajectory(Rosenbrock())
    (lines,) = contour_sets(ax)
    ratios = lines.levels[1:] / lines.levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0])
    assert ratios[0] > 1.5
    np.testing.assert_allclose(ax.get_xlim()[0] <= -2 and ax.get_ylim()[1] >= 3, True)


def test_a_diverging_path_is_cut_where_it_leaves_the_far_box(valley):
    # η = 3.5: the error along λ_max grows 2.5× per step, far out of any view.
    run = train.run(valley, optim.SGD(lr=3.5), valley.init(), 60, keep_trajectory=True,
                    divergence_factor=np.inf)
    full = run.trajectory[:, 0, :]
    fig, ax = plots.contour_trajectory(valley, run)
    line = next(l for l in ax.lines if l.get_label() == "path")
    xy = line.get_xydata()
    assert np.all(np.isfinite(xy)) and len(xy) < len(full)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    reach = 25 * max(x1 - x0, y1 - y0) + max(abs(x0), abs(x1), abs(y0), abs(y1))
    assert np.all(np.abs(xy) <= reach)
    k = len(xy) - 1
    np.testing.assert_allclose(xy[:k], full[:k])
    # the cut point lies on the true segment from x_{k-1} to x_k
    true_dir = full[k] - full[k - 1]
    drawn_dir = xy[k] - xy[k - 1]
    cross = true_dir[0] * drawn_dir[1] - true_dir[1] * drawn_dir[0]
    sine = cross / (np.linalg.norm(true_dir) * np.linalg.norm(drawn_dir))
    assert abs(sine) < 1e-9 and np.dot(true_dir, drawn_dir) > 0


def test_several_runs_of_one_optimizer_are_coloured_by_learning_rate(valley):
    x0 = valley.init()
    by_lr = {f"GD η={lr}": train.run(valley, optim.SGD(lr=lr), x0, 10, keep_trajectory=True)
             for lr in (0.1, 0.5, 1.5)}
    fig, ax = plots.contour_trajectory(valley, by_lr)
    colors = [next(l for l in ax.lines if l.get_label() == name).get_color() for name in by_lr]
    assert colors == style.lr_colors([0.1, 0.5, 1.5])


def test_contour_rejects_a_1d_problem():
    with pytest.raises(ValueError, match="problem must be a 2-D problem .*use trajectory_1d"):
        plots.contour_trajectory(WavyValley())


def test_trajectory_1d_draws_iterates_on_the_curve():
    problem = WavyValley()
    result = train.run(problem, optim.SGD(lr=0.05), problem.init(), 30, keep_trajectory=True)
    fig, ax = plots.trajectory_1d(problem, {"GD": result})
    labelled(ax)
    line = next(l for l in ax.lines if l.get_label() == "GD")
    xs = result.trajectory[:, 0, 0]
    np.testing.assert_allclose(line.get_xdata(), xs)
    np.testing.assert_allclose(line.get_ydata(), problem.loss(xs[:, None]))
    assert "local minima" in legend_texts(ax) and "minimiser" in legend_texts(ax)
    with pytest.raises(ValueError, match="problem must be a 1-D problem"):
        plots.trajectory_1d(Rosenbrock(), [])


# --------------------------------------------------------------------- loss curves

def test_loss_curves_mark_a_diverged_run_at_its_divergence_step(runs):
    fig, ax = plots.loss_curves(runs)
    labelled(ax)
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step t"
    diverged = runs["GD too fast"]
    at = int(diverged.diverged_at[0])
    assert diverged.diverged[0] and 0 < at < 40
    line = next(l for l in ax.lines if l.get_label() == "GD too fast")
    np.testing.assert_array_equal(line.get_xdata(), np.arange(at + 1))
    np.testing.assert_allclose(line.get_ydata(), diverged.loss[: at + 1, 0])
    crosses = [l for l in ax.lines if l.get_marker() == "X" and len(l.get_xdata())]
    assert len(crosses) == 1
    np.testing.assert_allclose(crosses[0].get_xydata(), [[at, diverged.loss[at, 0]]])
    assert f"diverged at step {at}" in [t.get_text() for t in ax.texts if t.get_visible()]
    assert "diverged (run stopped)" in legend_texts(ax)
    # converged runs: f(x_0) … f(x_T), the final loss included
    gd = next(l for l in ax.lines if l.get_label() == "GD")
    assert gd.get_ydata()[-1] == runs["GD"].final_loss[0]
    assert len(gd.get_xdata()) == 41


def test_two_runs_of_one_optimizer_keep_its_colour_and_differ_by_line_style(runs):
    fig, ax = plots.loss_curves(runs)
    gd, fast = (next(l for l in ax.lines if l.get_label() == n) for n in ("GD", "GD too fast"))
    adam = next(l for l in ax.lines if l.get_label() == "Adam")
    assert gd.get_color() == fast.get_color() == style.optimizer_color("GD")
    assert gd.get_linestyle() != fast.get_linestyle()
    assert adam.get_color() == style.optimizer_color("Adam")


def test_a_sweep_run_is_coloured_by_lr_with_a_log_colorbar(valley):
    lrs = np.geomspace(0.01, 2.5, 8)
    result = train.run(valley, optim.SGD(lr=lrs[:, None]), valley.init(), 30)
    fig, ax = plots.loss_curves(result)
    assert len(fig.axes) == 2
    bar = fig.axes[1]
    assert bar.get_ylabel() == "learning rate η" and bar.get_yscale() == "log"
    lines = [l for l in ax.lines if l.get_label().startswith("η = ")]
    assert [l.get_color() for l in lines] == style.lr_colors(lrs)


def test_loss_curves_accept_plain_arrays_and_check_labels():
    fig, ax = plots.loss_curves(np.geomspace(1, 1e-3, 20), logy=False, title="t")
    assert ax.get_yscale() == "linear" and ax.get_title() == "t"
    with pytest.raises(ValueError, match="labels must be a list of 2 strings"):
        plots.loss_curves(np.ones((5, 2)), labels=["only one"])


def test_loss_curves_draw_into_a_given_axes(runs):
    fig, axes = plots.new_figure(2)
    out_fig, out_ax = plots.loss_curves(runs, ax=axes[1])
    assert out_ax is axes[1] and out_fig is fig
    assert tuple(fig.get_size_inches()) == style.SIDE_BY_SIDE
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None"):
        plots.loss_curves(runs, ax="left")


# ----------------------------------------------------------------------- schedules

def test_schedule_curves_draw_each_schedule_over_the_steps():
    gallery = {"cosine": schedules.cosine(0.1, 100), "step": schedules.step_decay(0.1, 30, 0.5)}
    fig, ax = plots.schedule_curves(gallery, 100)
    labelled(ax)
    assert ax.get_ylabel() == "learning rate ηₜ"
    for name, schedule in gallery.items():
        line = next(l for l in ax.lines if l.get_label() == name)
        np.testing.assert_allclose(line.get_ydata(), schedule(np.arange(100)))
    assert set(legend_texts(ax)) == set(gallery)
    fig, ax = plots.schedule_curves([schedules.exponential(0.1, 0.95)], 50, logy=True)
    assert ax.get_yscale() == "log"
    assert ax.lines[0].get_label() == repr(schedules.exponential(0.1, 0.95))
    with pytest.raises(TypeError, match=r"schedules\[0\] must be a schedule"):
        plots.schedule_curves([0.1], 10)


# ------------------------------------------------------------------ finder, sweep

@pytest.fixture(scope="module")
def finder(valley):
    return tune.lr_finder(valley, optim.SGD, start_lr=1e-3, end_lr=100.0, num_steps=100, beta=0.5)


def test_finder_curve_shows_raw_smoothed_suggestions_and_the_stop(finder):
    assert finder.stopped_at is not None and finder.suggestions
    fig, ax = plots.finder_curve(finder)
    labelled(ax)
    assert ax.get_xscale() == "log"
    raw = next(l for l in ax.lines if l.get_label() == "loss (raw)")
    smooth = next(l for l in ax.lines if l.get_label() == "loss (smoothed)")
    assert raw.get_alpha() < 0.5 and smooth.get_alpha() is None  # raw faint, smoothed bold
    np.testing.assert_allclose(smooth.get_ydata(), finder.smoothed)
    texts = legend_texts(ax)
    for name, lr in finder.suggestions.items():
        assert f"{name}: η = {lr:.3g}" in texts
        assert any(np.allclose(l.get_xdata(), lr) for l in ax.lines if l.get_label().startswith(name))
    assert f"stopped (step {finder.stopped_at})" in texts


def test_sweep_curve_marks_diverged_rates_the_best_and_reference_lines(valley):
    sweep = tune.lr_sweep(valley, optim.SGD, np.geomspace(1e-2, 4.0, 25), 40)
    fig, ax = plots.sweep_curve(sweep, vlines={"2/λ_max": valley.stability_limit})
    labelled(ax)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    crosses = next(l for l in ax.lines if l.get_label() == "diverged")
    assert len(crosses.get_xdata()) == int(sweep.diverged.sum()) > 0
    np.testing.assert_allclose(crosses.get_ydata(), 1.0)  # on the top edge (axes fraction)
    assert np.all(crosses.get_xdata() > valley.stability_limit * 0.99)
    best = next(l for l in ax.lines if l.get_label().startswith("best"))
    assert best.get_xdata()[0] == pytest.approx(sweep.best_lr)
    assert "2/λ_max = 2" in legend_texts(ax)


# ---------------------------------------------------------------- lesson figures

def test_rate_map_rows_follow_beta_and_columns_follow_eta(valley):
    etas = np.geomspace(0.01, 4.0, 30)
    betas = np.linspace(0.0, 0.95, 20)  # deliberately a different length
    rates = valley.momentum_rate(etas[None, :], betas[:, None])
    fig, ax = plots.rate_map(etas, betas, rates, point=(1.0, 0.5))
    labelled(ax)
    assert ax.get_xlabel() == "learning rate η" and ax.get_ylabel() == "momentum β"
    assert ax.get_xscale() == "log"
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    shown = np.asarray(mesh.get_array()).reshape(betas.size, etas.size)
    expected = np.where(rates < np.inf, rates, np.inf)
    np.testing.assert_allclose(shown, expected)
    corners = mesh.get_coordinates()  # (n_beta + 1, n_eta + 1, 2): x along columns, y along rows
    assert corners.shape == (betas.size + 1, etas.size + 1, 2)
    assert np.all(np.diff(corners[0, :, 0]) > 0) and np.all(np.diff(corners[:, 0, 1]) > 0)
    current = next(l for l in ax.lines if l.get_label() == "current (η, β)")
    np.testing.assert_allclose(current.get_xydata(), [[1.0, 0.5]])
    assert len(fig.axes) == 2 and "ρ" in fig.axes[1].get_ylabel()
    with pytest.raises(ValueError, match=r"rates must be an array of shape \(len\(betas\), len\(etas\)\)"):
        plots.rate_map(etas, betas, rates.T)


def test_stability_plot_draws_the_rate_and_the_limits(valley):
    fig, ax = plots.stability_plot(valley.eigenvalues)
    labelled(ax)
    rate = next(l for l in ax.lines if "max" in l.get_label())
    np.testing.assert_allclose(rate.get_ydata(), valley.gd_rate(np.maximum(rate.get_xdata(), 1e-300)))
    limit = next(l for l in ax.lines if l.get_label().startswith(r"$2/\lambda_{\max}$"))
    np.testing.assert_allclose(limit.get_xdata(), valley.stability_limit)
    assert any(l.get_label().endswith(f"rate {valley.optimal_rate:.3f}") for l in ax.lines)


# ----------------------------------------------------------------------- png

def test_figure_to_png_renders_pyplot_and_standalone_figures(runs):
    fig, ax = plots.loss_curves(runs)
    png = plots.figure_to_png(fig)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    standalone, ax = plots.new_figure(pyplot=False)
    assert plt.fignum_exists(standalone.number) is False if hasattr(standalone, "number") else True
    assert plots.figure_to_png(standalone).startswith(b"\x89PNG")
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure"):
        plots.figure_to_png(ax)


def test_a_second_sweep_on_the_same_axes_keeps_the_first_sweeps_range_in_view():
    from lrcourse import optim, plots, problems, tune

    quadratic = problems.Quadratic([1.0, 10.0])
    wide = tune.lr_sweep(quadratic, optim.SGD, np.geomspace(1e-3, 1.0, 7), 20)
    narrow = tune.lr_sweep(quadratic, optim.SGD, np.geomspace(1e-3, 0.1, 5), 20)
    fig, ax = plots.sweep_curve(wide, label="wide")
    plots.sweep_curve(narrow, ax=ax, label="narrow")
    low, high = ax.get_xlim()
    assert low <= 1e-3 and high >= 1.0, "the first sweep's diverged marks would sit outside the axes"


def test_log_axes_drop_minor_ticks_over_many_decades_and_keep_them_over_few():
    fig, (wide, narrow) = plots.new_figure(2)
    wide.loglog([1e-4, 1.0], [1e-6, 1e2])       # 4 and 8 decades
    narrow.semilogy([0, 1], [1.0, 50.0])        # under 2 decades
    narrow.set_xscale("linear")
    fig.canvas.draw()
    assert len(wide.xaxis.get_minorticklocs()) == 0
    assert len(wide.yaxis.get_minorticklocs()) == 0
    assert len(narrow.yaxis.get_minorticklocs()) > 0, "a short log range keeps its minor ticks"
    # A lesson that switches to log after the figure was made is covered too.
    late = plots.new_figure()[1]
    late.plot([1e-3, 1e3], [1.0, 2.0])
    late.set_xscale("log")
    late.figure.canvas.draw()
    assert len(late.xaxis.get_minorticklocs()) == 0
    plt.close("all")


# ------------------------------------------------------------ figure() and the figure kinds

def test_figure_axes_carry_the_course_style_without_a_context():
    fig, axes = plots.figure(2, 3, sharex=True, title="grid")
    assert axes.shape == (2, 3) and all(isinstance(ax, plots.CourseAxes) for ax in axes.ravel())
    (line,) = axes[0, 0].plot([0, 1], [0, 1])             # no rc_context around the call
    assert line.get_linewidth() == style.RC["lines.linewidth"]
    assert plt.rcParams["lines.linewidth"] != style.RC["lines.linewidth"]   # globals untouched
    assert axes[1, 2].get_shared_x_axes().joined(axes[0, 0], axes[1, 2])
    assert fig._suptitle.get_text() == "grid"
    fig, column = plots.figure(2, 1, height_ratios=[1, 2])
    assert column.shape == (2,)
    fig, ax = plots.figure()
    assert isinstance(ax, plots.CourseAxes)
    fig, pair = plots.new_figure(2)
    assert pair.shape == (2,) and isinstance(pair[0], plots.CourseAxes)
    fig, pair = plots.figure(1, 2, layout=None, gridspec_kw={"wspace": 0.4})
    assert fig.get_layout_engine() is None and isinstance(pair[1], plots.CourseAxes)


def test_curves_draws_named_curves_and_reference_lines():
    x = np.arange(5)
    fig, ax = plots.curves(x, {"SGD": x + 1.0, "Adam": 2.0 * (x + 1)}, logy=True, ylabel="loss",
                           hlines={"target": 3.0}, title="two runs")
    assert [line.get_label() for line in ax.lines[:2]] == ["SGD", "Adam"]
    assert ax.lines[0].get_color() == style.optimizer_color("SGD")
    assert ax.get_yscale() == "log" and "target" in legend_texts(ax)
    with pytest.raises(ValueError, match=r"^ys must be curves of 5 points"):
        plots.curves(x, {"short": np.ones(3)})
    fig, ax = plots.curves(x, np.ones((5, 2)), labels=["a", "b"], linestyle=["-", "--"])
    assert [line.get_linestyle() for line in ax.lines[:2]] == ["-", "--"]
    with pytest.raises(ValueError, match=r"^linestyle must be a list of 2 matplotlib line styles"):
        plots.curves(x, np.ones((5, 2)), linestyle=["-", "--", ":"])


def test_prediction_check_draws_the_formula_as_lines_and_the_runs_as_circles():
    t = np.arange(10)
    predicted = 0.5 ** t[:, None] * np.array([1.0, 2.0])
    fig, ax = plots.prediction_check(t, predicted, predicted * 1.01, labels=["a", "b"], logy=True, every=3,
                                     threshold=1.0)
    circles = [line for line in ax.lines if line.get_marker() == "o" and len(line.get_xdata())]
    assert len(circles) == 2 and len(circles[0].get_xdata()) == 4 and circles[0].get_markerfacecolor() == "none"
    texts = legend_texts(ax)
    assert texts[:2] == ["a", "b"] and "predicted" in texts and "measured" in texts
    assert any("diverges" in text for text in texts)


def test_outcome_map_colours_valleys_bounces_and_divergence_and_labels_the_limits():
    xs, ys = np.linspace(-1, 1, 4), np.geomspace(0.01, 1, 3)
    ends = np.array([[0, 0, 1, 1], [0, plots.BOUNCES, 1, 1], [plots.DIVERGES] * 4])
    fig, ax = plots.outcome_map(xs, ys, ends, logy=True, limits=[0.05, 0.2], legend_loc="below")
    mesh = next(c for c in ax.collections if isinstance(c, QuadMesh))
    colours = mesh.cmap(mesh.norm(ends.ravel()))
    assert tuple(colours[0][:3]) == pytest.approx(matplotlib.colors.to_rgb(style.CYCLE[0]))
    assert tuple(colours[-1][:3]) == pytest.approx(matplotlib.colors.to_rgb("#555555"))
    assert {t.get_text() for t in ax.texts} == {"2/f″ of valley 1", "2/f″ of valley 2"}
    assert legend_texts(ax) == ["never settles (bounces)", "diverges"]
    with pytest.raises(ValueError, match=r"^ends must be an array of shape"):
        plots.outcome_map(xs, ys, ends.T)


def test_numbered_valleys_numbers_the_minima_in_view():
    valley = WavyValley()
    fig, ax = plots.numbered_valleys(valley, (-5.5, 5.5))
    inside = valley.local_minima[(valley.local_minima >= -5.5) & (valley.local_minima <= 5.5)]
    assert [t.get_text() for t in ax.texts] == [str(i + 1) for i in range(inside.size)]


def test_seed_strips_draw_one_dot_per_seed_and_a_centre_bar():
    values = np.arange(24.0).reshape(4, 2, 3) + 1
    fig, ax = plots.seed_strips(values, [0.1, 0.3, 1.0], groups=["a", "b"], logx=True, logy=True)
    assert sum(len(c.get_offsets()) for c in ax.collections) == values.size
    bars = [line for line in ax.lines if line.get_marker() == "_"]
    assert len(bars) == 6 and bars[0].get_ydata()[0] == np.median(values[:, 0, 0])
    assert legend_texts(ax) == ["a", "b"]
    fig, ax = plots.seed_strips(values[:, 0, :], ["x y", "z", "w"], center="mean")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x\ny", "z", "w"]


def test_schedule_gallery_plateau_history_and_outcome_shares():
    fig, axes = plots.schedule_gallery({"one": {"c": schedules.constant(0.1)},
                                        "two": {"a": schedules.cosine(0.1, 20), "b": schedules.constant(0.05)},
                                        "note": "no curve"}, 20, ncols=2)
    assert [ax.get_title() for ax in axes[:3]] == ["one", "two", "note"] and not axes[3].get_visible()
    plateau = schedules.ReduceLROnPlateau(1.0, patience=0)
    for metric in (1.0, 2.0, 3.0):
        plateau.step(metric)
    fig, (top, bottom) = plots.plateau_history(plateau)
    assert len(top.lines[0].get_xdata()) == 3 and bottom.get_yscale() == "log"
    ends = np.array([[0, 0, 1, -1], [1, 1, 1, 1]])
    fig, axes = plots.outcome_shares({"A": ends, "B": ends[::-1]}, [0.1, 0.2], valley_labels=["v1", "v2"])
    heights = [patch.get_height() for patch in axes[0].patches]
    assert heights[:2] == [0.5, 0.0] and [t.get_text() for t in fig.legends[0].get_texts()] == [
        "not settled", "v2", "v1"]
