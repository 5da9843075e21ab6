"""Quadratic bowls: the problem on which every learning-rate fact can be computed exactly.

    f(x) = ½ (x − c)ᵀ H (x − c),   H = Q diag(λ) Qᵀ,   ∇f(x) = H (x − c)

The columns q_i of the orthogonal matrix Q are the eigenvectors of H, the λ_i > 0
its eigenvalues.  Gradient descent x ← x − η∇f(x) acts on each eigen-component
separately: the component along q_i is multiplied by (1 − ηλ_i) at every step, so

- GD converges iff |1 − ηλ_i| < 1 for every i, i.e. 0 < η < 2/λ_max;
- its contraction factor per step is  max_i |1 − ηλ_i|  (``gd_rate``);
- the best fixed step is η* = 2/(λ_min + λ_max), with factor (κ − 1)/(κ + 1),
  κ = λ_max/λ_min the condition number.

Heavy-ball momentum in PyTorch's form (v ← μv + g, x ← x − ηv, dampening 0) is the
same as Polyak's x_{t+1} = x_t − η∇f(x_t) + μ(x_t − x_{t−1}); on each eigen-component
it is a 2×2 linear recurrence with characteristic polynomial
z² − (1 + μ − ηλ_i) z + μ, and converges iff 0 < ηλ_i < 2 + 2μ (for 0 ≤ μ < 1).
The best pair is η = 4/(√λ_min + √λ_max)², μ = ((√κ − 1)/(√κ + 1))², with factor
(√κ − 1)/(√κ + 1).

References
----------
B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
USSR Computational Mathematics and Mathematical Physics 4(5), 1964.
Y. Nesterov, "Lectures on Convex Optimization", 2nd ed., Springer, 2018, §2.1.
"""

from __future__ import annotations

import numpy as np

from .. import _validation as check
from ._base import Problem, readonly

__all__ = ["Quadratic"]

_ORTHOGONALITY_TOLERANCE = 1e-9


def _float_array(name: str, value, accepted: str) -> np.ndarray:
    if not check.is_real(value):
        check.fail(name, accepted, value, error=TypeError)
    return np.array(value, dtype=float)  # a private copy


#: The arguments of the rate formulas (any array shape, broadcast against each other).
_RATES = check.EachIn(check.positive)              # learning rates
_MOMENTA = check.EachIn(check.unit_interval)       # momentum coefficients in [0, 1)


class Quadratic(Problem):
    """The quadratic f(x) = ½ (x − c)ᵀ H (x − c) with H = Q diag(λ) Qᵀ.

    Parameters
    ----------
    eigenvalues : sequence of positive floats, or one positive float
        λ_1, …, λ_d: the curvatures along the eigenvectors; their number is ``dim``.
        A single number gives the 1-D quadratic f(x) = ½ λ (x − c)².
    angle : float, optional
        2-D only: rotate the eigenvectors by this angle (radians, counter-clockwise),
        Q = [[cos θ, −sin θ], [sin θ, cos θ]], so λ_1 acts along (cos θ, sin θ).
    rotation : (d, d) array, optional
        An explicit orthogonal Q whose columns are the eigenvectors (QᵀQ = I to 1e-9).
        Give ``angle`` or ``rotation``, not both; neither means Q = I (axis-aligned).
    center : (d,) array, optional
        The minimiser c (default: the origin).

    Notes
    -----
    ``loss`` works in the eigenbasis, f = ½ Σ λ_i ((x − c)·q_i)², so it is never
    negative; ``grad`` is (x − c) H.  For K points of shape ``(K, d)`` each is one
    matrix product.  Points may carry any leading shape ``(..., d)``.
    ``init`` is deterministic (the ``seed`` is accepted for the common interface):
    x₀ = c + Σ_i q_i, one unit along every eigenvector, so every mode — slow and
    fast — is visible in a trajectory.
    """

    def __init__(self, eigenvalues, angle=None, rotation=None, center=None):
        accepted = "a positive finite number or a non-empty 1-D sequence of them"
        lam = _float_array("eigenvalues", eigenvalues, accepted)
        if lam.ndim == 0:
            lam = lam.reshape(1)
        if lam.ndim != 1 or lam.size == 0:
            check.fail("eigenvalues", accepted, check.Described(f"an array of shape {lam.shape}"))
        if lam.size > check.MAX_DIM:
            check.fail("eigenvalues", f"at most {check.MAX_DIM} eigenvalues (the Hessian is a dense d×d matrix)",
                       check.Described(f"an array of shape {lam.shape}"))
        if not np.all(np.isfinite(lam) & (lam > 0)):
            bad = lam[~(np.isfinite(lam) & (lam > 0))][0]
            check.fail("eigenvalues", accepted, eigenvalues, f"the first bad entry is {float(bad)!r}")
        dim = lam.size

        if angle is not None and rotation is not None:
            check.fail("angle", "None when rotation is given", angle,
                   "pass either angle (2-D only) or rotation, not both")
        if angle is not None:
            theta = check.real("angle", angle, "a finite angle in radians")
            if not np.isfinite(theta):
                check.fail("angle", "a finite angle in radians", angle)
            if dim != 2:
                check.fail("angle", f"None for a {dim}-D quadratic (an angle only defines a 2-D rotation)",
                       angle, f"pass rotation=<an orthogonal {dim}×{dim} matrix> instead")
            cos, sin = np.cos(theta), np.sin(theta)
            q = np.array([[cos, -sin], [sin, cos]])
        elif rotation is not None:
            q = _float_array("rotation", rotation, f"an orthogonal {dim}×{dim} matrix")
            if q.shape != (dim, dim) or not np.all(np.isfinite(q)):
                check.fail("rotation", f"a finite orthogonal {dim}×{dim} matrix (one column per eigenvalue)",
                       check.Described(f"an array of shape {q.shape}") if q.shape != (dim, dim) else rotation)
            error = float(np.max(np.abs(q.T @ q - np.eye(dim))))
            if error > _ORTHOGONALITY_TOLERANCE:
                check.fail("rotation", "an orthogonal matrix (Qᵀ Q = I)",
                       rotation, f"its max |QᵀQ − I| is {error:.3g}; build it with np.linalg.qr or from cos/sin of exact angles")
        else:
            q = np.eye(dim)

        if center is None:
            c = np.zeros(dim)
        else:
            c = _float_array("center", center, f"a finite array of shape ({dim},)")
            if c.shape != (dim,) or not np.all(np.isfinite(c)):
                check.fail("center", f"a finite array of shape ({dim},)",
                       check.Described(f"an array of shape {c.shape}") if c.shape != (dim,) else center)

        h = (q * lam) @ q.T
        self._eigenvalues = readonly(lam)
        self._eigenvectors = readonly(q)
        self._center = readonly(c)
        self._hessian = readonly((h + h.T) / 2)  # exactly symmetric
        self._angle = None if angle is None else theta
        self.dim = dim
        self.name = self._describe()

    # ------------------------------------------------------------------ constructors
    @classmethod
    def ill_conditioned_2d(cls, kappa=10.0, angle=np.pi / 6, lambda_max=1.0) -> "Quadratic":
        """A tilted 2-D valley: eigenvalues (λ_max/κ, λ_max), rotated by ``angle``.

        The long (flat) axis of the valley points along (cos θ, sin θ).
        """
        kappa = _condition_number(kappa)
        lambda_max = check.positive("lambda_max", lambda_max)
        return cls([lambda_max / kappa, lambda_max], angle=angle)

    @classmethod
    def random(cls, dim, kappa=10.0, seed=0, lambda_max=1.0) -> "Quadratic":
        """A ``dim``-D quadratic with a log-spaced spectrum and a random rotation.

        Eigenvalues λ_i = λ_max · κ^(−1 + i/(dim−1)), i = 0 … dim−1 (so exactly
        λ_max/κ … λ_max); Q is a random orthogonal matrix (QR of a Gaussian matrix with
        the signs fixed, i.e. Haar-distributed) from ``np.random.default_rng(seed)``.
        The minimiser is the origin.
        """
        dim = check.dimension("dim", dim)
        kappa = _condition_number(kappa)
        seed = check.nonnegative_int("seed", seed)
        lambda_max = check.positive("lambda_max", lambda_max)
        if dim == 1:
            if kappa != 1:
                check.fail("kappa", "1 for dim=1 (one eigenvalue has condition number 1)", kappa)
            return cls([lambda_max])
        lam = lambda_max * kappa ** np.linspace(-1.0, 0.0, dim)
        lam[0], lam[-1] = lambda_max / kappa, lambda_max
        rng = np.random.default_rng(seed)
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        return cls(lam, rotation=q)

    # -------------------------------------------------------------------- the problem
    def loss(self, x) -> np.ndarray:
        """f(x) = ½ Σ_i λ_i ((x − c)·q_i)², shape ``(...)`` for x of shape ``(..., d)``."""
        x = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            z = (x - self._center) @ self._eigenvectors
            return 0.5 * np.sum(self._eigenvalues * z * z, axis=-1)

    def grad(self, x) -> np.ndarray:
        """∇f(x) = H (x − c), shape ``(..., d)``."""
        x = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return (x - self._center) @ self._hessian

    def init(self, seed: int = 0) -> np.ndarray:
        """x₀ = c + Σ_i q_i (deterministic; ``seed`` is accepted and ignored)."""
        check.nonnegative_int("seed", seed)
        return self._center + self._eigenvectors.sum(axis=1)

    # ------------------------------------------------------------------ its structure
    @property
    def hessian(self) -> np.ndarray:
        """H = Q diag(λ) Qᵀ (read-only)."""
        return self._hessian

    @property
    def eigenvalues(self) -> np.ndarray:
        """λ_1 … λ_d in the order given (read-only)."""
        return self._eigenvalues

    @property
    def eigenvectors(self) -> np.ndarray:
        """Q: column i is the eigenvector of λ_i (read-only)."""
        return self._eigenvectors

    @property
    def center(self) -> np.ndarray:
        """c (read-only)."""
        return self._center

    @property
    def minimizer(self) -> np.ndarray:
        """The unique minimiser, c (a fresh copy)."""
        return self._center.copy()

    @property
    def min_loss(self) -> float:
        """f(c) = 0."""
        return 0.0

    @property
    def lambda_min(self) -> float:
        return float(self._eigenvalues.min())

    @property
    def lambda_max(self) -> float:
        return float(self._eigenvalues.max())

    @property
    def condition_number(self) -> float:
        """κ = λ_max / λ_min."""
        return self.lambda_max / self.lambda_min

    @property
    def stability_limit(self) -> float:
        """2/λ_max: gradient descent converges iff 0 < η < 2/λ_max."""
        return 2.0 / self.lambda_max

    @property
    def optimal_lr(self) -> float:
        """η* = 2/(λ_min + λ_max), the fixed step with the smallest ``gd_rate``."""
        return 2.0 / (self.lambda_min + self.lambda_max)

    @property
    def optimal_rate(self) -> float:
        """(κ − 1)/(κ + 1) = gd_rate(optimal_lr)."""
        kappa = self.condition_number
        return (kappa - 1.0) / (kappa + 1.0)

    def gd_rate(self, lr):
        """Contraction factor of gradient descent: max_i |1 − η λ_i|.

        ‖x_t − c‖ shrinks like ``gd_rate(lr)**t`` (exactly, along the slowest mode);
        a factor ≥ 1 means no convergence (> 1: divergence).  ``lr`` may be an array:
        the result has its shape.
        """
        lr = _RATES("lr", lr)
        rate = np.max(np.abs(1.0 - lr[..., None] * self._eigenvalues), axis=-1)
        return float(rate) if rate.ndim == 0 else rate

    @property
    def optimal_momentum_lr(self) -> float:
        """η = 4/(√λ_min + √λ_max)², the lr of the best heavy-ball pair."""
        return 4.0 / (np.sqrt(self.lambda_min) + np.sqrt(self.lambda_max)) ** 2

    @property
    def optimal_momentum(self) -> float:
        """μ = ((√κ − 1)/(√κ + 1))², the momentum of the best heavy-ball pair."""
        return self.optimal_momentum_rate ** 2

    @property
    def optimal_momentum_rate(self) -> float:
        """(√κ − 1)/(√κ + 1) = momentum_rate(optimal_momentum_lr, optimal_momentum)."""
        root = np.sqrt(self.condition_number)
        return float((root - 1.0) / (root + 1.0))

    def momentum_rate(self, lr, momentum, nesterov=False):
        """Asymptotic contraction factor of SGD with ``momentum`` (heavy ball or Nesterov).

        The spectral radius max_i max|z| over the roots z of z² − T_i z + D_i = 0, the
        characteristic polynomial of one step on the eigen-direction λ_i (h = ηλ_i):

        - heavy ball: T = 1 + μ − h,          D = μ;  ρ < 1 iff 0 < h < 2 + 2μ;
        - Nesterov:   T = 1 + μ − h(1 + μ),   D = μ(1 − h)  (PyTorch's form).

        ``lr`` and ``momentum`` broadcast against each other (e.g. a grid for an
        (η, μ) map); the result has the broadcast shape.
        """
        lr = _RATES("lr", lr)
        momentum = _MOMENTA("momentum", momentum)
        nesterov = check.boolean("nesterov", nesterov)
        lr, momentum = np.broadcast_arrays(lr, momentum)
        h, mu = lr[..., None] * self._eigenvalues, momentum[..., None]
        if nesterov:
            trace, det = 1.0 + mu - h * (1.0 + mu), mu * (1.0 - h)
        else:
            trace, det = 1.0 + mu - h, mu
        # the roots of z² − trace·z + det; for a huge η·λ, of the equation divided by s²
        # (s = max(|trace|, √|det|)) so that trace² does not overflow: roots = s · roots'
        size = np.maximum(np.abs(trace), np.sqrt(np.abs(det)))
        s = np.where(size > 1e100, size, 1.0)
        trace, det = trace / s, det / s / s
        disc = np.sqrt((trace * trace - 4.0 * det).astype(complex))
        roots = s * np.maximum(np.abs((trace + disc) / 2), np.abs((trace - disc) / 2))
        rate = np.max(roots, axis=-1)
        return float(rate) if rate.ndim == 0 else rate

    @property
    def plot_range(self):
        """A box holding the whole level set through ``init()``, with 20 % margin.

        1-D: ``(low, high)``; 2-D: ``((x_low, x_high), (y_low, y_high))``; ``None`` for
        more dimensions.  Any GD run from ``init()`` with 0 < η < 2/λ_max stays inside
        (GD with a stable step never increases f on a quadratic).
        """
        if self.dim > 2:
            return None
        level = float(self.loss(self.init()))
        inverse_diagonal = (self._eigenvectors ** 2 / self._eigenvalues).sum(axis=1)
        half = 1.2 * np.sqrt(2.0 * level * inverse_diagonal)
        boxes = tuple((float(c - h), float(c + h)) for c, h in zip(self._center, half))
        return boxes[0] if self.dim == 1 else boxes

    def _describe(self) -> str:
        if self.dim == 1:
            return f"1-D quadratic (λ={self._eigenvalues[0]:g})"
        return f"{self.dim}-D quadratic (κ={self.condition_number:.3g}, λ_max={self.lambda_max:g})"

    def __repr__(self) -> str:
        lam = np.array2string(self._eigenvalues, separator=", ", threshold=6)
        extra = ""
        if self._angle is not None:
            extra += f", angle={self._angle!r}"
        elif not np.array_equal(self._eigenvectors, np.eye(self.dim)):
            extra += ", rotation=<orthogonal matrix>"
        if np.any(self._center):
            extra += f", center={np.array2string(self._center, separator=', ', threshold=6)}"
        return f"Quadratic({lam}{extra})"


def _condition_number(kappa) -> float:
    accepted = "a finite number ≥ 1"
    value = check.real("kappa", kappa, accepted)
    if not (np.isfinite(value) and value >= 1):
        check.fail("kappa", accepted, kappa, "κ = λ_max/λ_min is at least 1")
    return value
