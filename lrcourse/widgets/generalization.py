"""The generalization explorer (lesson 07): training vs validation loss against η and B."""

from __future__ import annotations

import functools

import numpy as np

from lrcourse import _validation as check
from lrcourse import optim, plots, style, train
from lrcourse._blas import single_threaded_blas
from lrcourse.problems import MLP

from ._base import Explorer, int_slider, log_slider, power_of_two_slider, sig3

__all__ = ["GeneralizationExplorer", "generalization_explorer", "LRS", "BATCH_SIZES", "STEPS", "sweeps"]

#: The rates of the sweep: 0.025 · √2^k, k = 0 … 14 (0.025 … 3.2), the η slider's grid.
LRS = 0.025 * np.sqrt(2.0) ** np.arange(15)
#: Batch sizes swept (the batch slider moves by factors of 4).
BATCH_SIZES = (8, 32, 128)
#: Steps of every run, and the checkpoints (every EVAL_EVERY steps) the steps slider picks.
STEPS = 300
EVAL_EVERY = 25
#: The loss axes (fixed: dragging never redraws the background).
_LOSS_LIMITS = (5e-4, 30.0)


@functools.lru_cache(maxsize=1)
def sweeps(seed: int = 0) -> dict:
    """``{B: RunResult}``: SGD on ``MLP(hidden=32)`` for every rate of :data:`LRS` at
    once (one vectorised run per batch size B in :data:`BATCH_SIZES`), :data:`STEPS`
    steps from ``init(seed)`` with batches of ``seed``, the full training loss, the
    validation loss and accuracy recorded every :data:`EVAL_EVERY` steps.  Cached:
    every explorer shares the ≈ 1.5 s of training."""
    problem = MLP(hidden=32)
    with single_threaded_blas():
        return {batch: train.run(problem, optim.SGD(lr=LRS[:, None]), problem.init(seed=seed), STEPS,
                                 batch_size=batch, seed=seed, eval_every=EVAL_EVERY)
                for batch in BATCH_SIZES}


def _best(losses: np.ndarray) -> int | None:
    """Index of the lowest finite loss (ties: the smaller rate), None if none is finite."""
    finite = np.isfinite(losses)
    return int(np.argmin(np.where(finite, losses, np.inf))) if finite.any() else None


class GeneralizationExplorer(Explorer):
    """Training vs validation loss of the digits MLP against η, for a batch size and a budget.

    Everything is trained once, at construction (:func:`sweeps`): SGD on
    ``MLP(hidden=32)`` for the 15 rates of :data:`LRS` (0.025 … 3.2, factors of √2)
    and batch sizes 8, 32 and 128, 300 steps from the same initial weights, the
    full training loss L_train, the validation loss L_val (cross-entropy on the 450
    held-out digits) and the validation accuracy every 25 steps.  The sliders only
    select what is shown.

    Left panel: L_train and L_val after T steps against η, with the best η by each
    (◆ lowest L_train, ★ lowest L_val) and the chosen η ○.  The gap L_val − L_train
    is the vertical distance between the curves.  Right panel: the chosen η's two
    curves against the step, the budget T marked.

    Controls: ``lr_slider`` (η, on the grid), ``batch_size_slider`` (8, 32, 128),
    ``steps_slider`` (T, a multiple of 25).
    """

    def __init__(self, *, lr=0.2, batch_size=32, steps=200):
        grid_step = float(np.log10(LRS[1] / LRS[0]))
        k = int(np.argmin(np.abs(np.log(LRS / check.positive("lr", lr)))))
        if not np.isclose(LRS[k], lr, rtol=1e-3):
            check.fail("lr", "a rate of the explorer's grid 0.025·√2^k, k = 0 … 14 "
                       "(0.025, 0.0354, 0.05, …, 2.26, 3.2)", lr, f"the nearest is {LRS[k]:.3g}")
        check.one_of("batch_size", batch_size, BATCH_SIZES)
        steps = check.Interval(EVAL_EVERY, STEPS, closed="both", integer=True)(
            "steps", steps, "the explorer's steps slider covers this range")
        if steps % EVAL_EVERY:
            check.fail("steps", f"a multiple of {EVAL_EVERY} (the runs are evaluated every {EVAL_EVERY} steps)",
                       steps)
        self.runs = sweeps(0)
        super().__init__(2, style.SIDE_BY_SIDE, width_ratios=(1.2, 1.0))
        ax_lr, ax_steps = self.axes
        colors = {"train": style.CYCLE[0], "val": style.CYCLE[1]}

        ax_lr.set(xscale="log", yscale="log", xlim=(LRS[0] / 1.25, LRS[-1] * 1.25), ylim=_LOSS_LIMITS,
                  xlabel="learning rate η", ylabel="loss after T steps", title="Loss against η (budget T)")
        (self.train_line,) = ax_lr.plot([], [], "-o", color=colors["train"], markersize=4, label="training")
        (self.val_line,) = ax_lr.plot([], [], "-s", color=colors["val"], markersize=4, label="validation")
        (self.best_train,) = ax_lr.plot([], [], "D", color=colors["train"], markersize=11,
                                        markeredgecolor="black", label="lowest training loss")
        (self.best_val,) = ax_lr.plot([], [], "*", color=colors["val"], markersize=17,
                                      markeredgecolor="black", label="lowest validation loss")
        self.point = plots.PointArtist(ax_lr, "chosen η", color=style.CYCLE[5])
        self._animate(self.train_line, self.val_line, self.best_train, self.best_val, *self.point.artists)
        # Static legends, above 3 where no curve goes after step 0 (the start loss is ≈ 2.5-2.9).
        ax_lr.legend(loc="upper right", ncol=3, fontsize=8.5)

        ax_steps.set(yscale="log", xlim=(-10, STEPS + 10), ylim=_LOSS_LIMITS, xlabel="step t",
                     ylabel="loss", title="The chosen η against the step")
        (self.train_curve,) = ax_steps.plot([], [], "-o", color=colors["train"], markersize=3,
                                            label="training (full set)")
        (self.val_curve,) = ax_steps.plot([], [], "-s", color=colors["val"], markersize=3, label="validation")
        self.cross = ax_steps.plot([], [], "X", color=style.DIVERGED_COLOR, markersize=10, markeredgecolor="white",
                                   zorder=5, label="diverged")[0]
        # up to 86 % of the height: clear of the legend above
        self.budget_line = ax_steps.axvline(np.nan, ymax=0.86, color=style.REFERENCE_COLOR, linestyle=":",
                                            linewidth=1.5,
                                            label="budget T")
        self._animate(self.train_curve, self.val_curve, self.budget_line, self.cross)
        ax_steps.legend(handles=[self.train_curve, self.val_curve, self.budget_line], loc="upper right", ncol=3,
                        fontsize=8.5)
        self._freeze_layout()

        self.lr_slider = log_slider("η (lr)", float(LRS[k]), LRS[0], LRS[-1], step=grid_step, name="lr")
        self.batch_size_slider = power_of_two_slider("batch B", batch_size, BATCH_SIZES[0], BATCH_SIZES[-1],
                                                     every=2, name="batch_size")
        self.steps_slider = int_slider("steps T", steps, EVAL_EVERY, STEPS, EVAL_EVERY, name="steps")
        self._finish([self.lr_slider, self.batch_size_slider, self.steps_slider])

    def _rate_index(self) -> int:
        return int(np.argmin(np.abs(np.log(LRS / float(self.lr_slider.value)))))

    def _compute(self) -> str:
        k = self._rate_index()
        batch = int(round(self.batch_size_slider.value))
        steps = int(self.steps_slider.value)
        result = self.runs[batch]
        i = int(np.flatnonzero(result.eval_steps == steps)[0])
        train_loss, val_loss = result.train_loss[i], result.val_loss[i]
        self.train_line.set_data(LRS, train_loss)
        self.val_line.set_data(LRS, val_loss)
        by_train, by_val = _best(train_loss), _best(val_loss)
        self.best_train.set_data(*(([LRS[by_train]], [train_loss[by_train]]) if by_train is not None else ([], [])))
        self.best_val.set_data(*(([LRS[by_val]], [val_loss[by_val]]) if by_val is not None else ([], [])))
        self.point.update(LRS[k], val_loss[k] if np.isfinite(val_loss[k]) else np.nan)
        self.train_curve.set_data(result.eval_steps, result.train_loss[:, k])
        self.val_curve.set_data(result.eval_steps, result.val_loss[:, k])
        self.budget_line.set_xdata([steps, steps])
        if result.diverged[k]:  # marked at its last finite evaluation, at most at the top of the axis
            finite = np.flatnonzero(np.isfinite(result.train_loss[:, k]))
            last = int(finite[-1])
            self.cross.set_data([result.eval_steps[last]], [min(result.train_loss[last, k], 0.9 * _LOSS_LIMITS[1])])
        else:
            self.cross.set_data([], [])
        self.selection = dict(k=k, batch=batch, step_index=i, by_train=by_train, by_val=by_val)

        if by_val is None:
            head = f"B = {batch}, T = {steps}: every rate diverged"
        else:
            head = (f"B = {batch}, T = {steps} | ★ lowest val loss {val_loss[by_val]:.3g} at η = {sig3(LRS[by_val])} "
                    f"| ◆ lowest train loss {train_loss[by_train]:.2g} at η = {sig3(LRS[by_train])}")
        if result.diverged[k] and result.diverged_at[k] <= steps:
            tail = f"○ η = {sig3(LRS[k])}: diverged at step {int(result.diverged_at[k])}"
        else:
            tail = (f"○ η = {sig3(LRS[k])}: train {train_loss[k]:.2g}, val {val_loss[k]:.3g}, gap "
                    f"{val_loss[k] - train_loss[k]:.2g}, val accuracy {result.val_accuracy[i, k]:.3f}")
        return f"{head}\n{tail}"


def generalization_explorer(*, lr=0.2, batch_size=32, steps=200) -> GeneralizationExplorer:
    """A live view of training vs validation loss against η and the batch size (lesson 07).

    Parameters
    ----------
    lr : float
        The chosen rate, one of :data:`LRS` (0.025·√2^k; 0.2 is k = 6).
    batch_size : {8, 32, 128}
    steps : int
        The budget T, a multiple of 25 from 25 to 300.

    Returns
    -------
    GeneralizationExplorer
        Drive it with ``explorer.set(batch_size=128, steps=300)``.  The first one
        built trains the sweeps (about 1.5 s); later ones reuse them.
    """
    return GeneralizationExplorer(lr=lr, batch_size=batch_size, steps=steps)
