"""Quadratic inputs shared by the step-size checks of exercises 01 and 03.

Hessians H = Q diag(λ) Qᵀ with a fixed seeded rotation, their eigenvalues, the
``Case`` that passes one to a learner's ``f(H, ...)`` (shown as ``np.array(...)`` in
feedback), and the matrices both exercises try.
"""

from __future__ import annotations

import numpy as np

from lrcourse.grading.core import Case

__all__ = ["rotation", "hessian", "show_matrix", "eigenvalues", "matrix_case",
           "H_AXIS", "H_ROT", "H_3D", "H_4D"]


def rotation(dim: int, seed: int) -> np.ndarray:
    """A fixed orthogonal matrix (QR of a seeded Gaussian matrix)."""
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


def hessian(eigenvalues, seed: int | None = None) -> np.ndarray:
    """Q diag(λ) Qᵀ: axis-aligned when ``seed`` is None, else rotated."""
    lam = np.asarray(eigenvalues, dtype=float)
    if seed is None:
        return np.diag(lam)
    q = rotation(lam.size, seed)
    H = q @ np.diag(lam) @ q.T
    return (H + H.T) / 2


def show_matrix(H: np.ndarray) -> str:
    """``np.array([[...]])`` on one line, four decimals: how feedback shows an input H."""
    with np.printoptions(precision=4, suppress=True):
        return "np." + np.array_repr(H).replace("\n", "").replace("      ", " ")


def eigenvalues(H) -> np.ndarray:
    """λ_1 ≤ … ≤ λ_n of the symmetric matrix H."""
    return np.linalg.eigvalsh(np.asarray(H, dtype=float))


def matrix_case(H, **more) -> Case:
    """A case calling the learner with ``H`` (and ``more`` arguments), H shown in full."""
    return Case({"H": H, **more}, shown={"H": show_matrix(H)})


H_AXIS = hessian([1.0, 10.0])
H_ROT = hessian([0.5, 4.0], seed=1)
H_3D = hessian([1.0, 2.0, 5.0], seed=2)
H_4D = hessian([0.01, 0.3, 0.7, 100.0], seed=3)
