"""The wide (linear) path: a ridge regression over the encoded inputs, inside the joint model.

As in Wide & Deep (Cheng et al. 2016), the encoded tabular inputs and a bag of words of each
text reach the head through one linear layer beside the deep branches. That layer starts as the
ridge regression of log price fitted on the training split, its penalty chosen by generalised
cross-validation (Golub, Heath and Wahba 1979), and the deep head starts at zero: before the
first step, the joint model *is* that linear model, and training can only add what it misses.
The fit needs only sums over the rows (X'X, X'y), so it runs over batches of any dataset size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.linalg.blas
from keras import layers

ALPHAS = tuple(float(a) for a in np.logspace(-3, 4, 29))  # ridge penalties GCV chooses from


def text_bag_of_words(name: str, tokens: int, texts: Sequence[str], raw: Any) -> Any:
    """TF-IDF over the `tokens` most frequent words and word pairs of the training texts, each
    text's vector scaled to unit length (as scikit-learn's TF-IDF does): unscaled, long texts
    and rare words dwarf the one-hots, and one ridge penalty cannot suit both."""
    vectorizer = layers.TextVectorization(
        max_tokens=tokens, ngrams=2, output_mode="tf_idf", name=f"{name}_tfidf"
    )
    vectorizer.adapt(np.asarray(texts, dtype=object))
    # float32 under mixed precision too: float16 rounds the norm's epsilon to zero, so an
    # empty text would be 0/0.
    unit = layers.UnitNormalization(name=f"{name}_tfidf_unit", dtype="float32")
    return unit(vectorizer(raw))


@dataclass(frozen=True)
class RidgeFit:
    """Coefficients and intercept of log price on the wide features, and the chosen penalty."""

    coef: np.ndarray
    intercept: float
    alpha: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(features @ self.coef + self.intercept)


class _Moments:
    """Running sums that determine every ridge fit on centred data: n, Σx, Σy, X'X, X'y, y'y.

    `in_place` sums the upper triangle of X'X into one array by BLAS's rank-k update, where
    `x.T @ x` would allocate a second X'X for every batch.
    """

    def __init__(self, in_place: bool = False) -> None:
        self.in_place = in_place
        self.n = 0
        self.sx: np.ndarray | float = 0.0
        self.sy = 0.0
        self.xx: np.ndarray | float = 0.0
        self.xy: np.ndarray | float = 0.0
        self.yy = 0.0

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        # in place: X'X is the largest array of a fit (columns squared), so never two of it
        x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
        if self.n == 0:
            self.sx, self.xy = np.zeros(x.shape[1]), x.T @ y
            self.xx = np.zeros((x.shape[1],) * 2, order="F") if self.in_place else x.T @ x
        else:
            self.xy += x.T @ y
            if not self.in_place:
                self.xx += x.T @ x
        if self.in_place:  # x.T of a C-ordered x is Fortran-ordered: BLAS reads it uncopied
            scipy.linalg.blas.dsyrk(1.0, x.T, beta=1.0, c=self.xx, overwrite_c=1)
        self.sx += x.sum(axis=0)
        self.n += len(y)
        self.sy += float(y.sum())
        self.yy += float(y @ y)

    def centred_xx(self) -> np.ndarray:
        """X'X of the centred data, computed in place of X'X a block of rows at a time."""
        mean = np.asarray(self.sx) / self.n
        xx = np.asarray(self.xx)
        for i in range(0, len(mean), _CENTRE_BLOCK):
            xx[i : i + _CENTRE_BLOCK] -= self.n * np.outer(mean[i : i + _CENTRE_BLOCK], mean)
        return xx


_CENTRE_BLOCK = 256


def fit_ridge(batches: Iterable[tuple[np.ndarray, np.ndarray]], in_place: bool = False) -> RidgeFit:
    """Ridge regression of y on x with an unpenalised intercept, the penalty chosen by GCV.

    GCV(a) = n·RSS(a) / (n - tr H(a))² needs only the eigenvalues of the centred X'X, so every
    candidate penalty costs one small matrix product after a single eigendecomposition.
    `in_place` sums and decomposes X'X in its own array with a small workspace, at about a third
    of the memory (the linear baseline's thousands of columns); it rounds differently in the last
    bits, so the model's wide path, whose fitted start every documented result begins from,
    keeps NumPy's route.
    """
    m = _Moments(in_place)
    for x, y in batches:
        m.add(x, y)
    mean_x, mean_y = np.asarray(m.sx) / m.n, m.sy / m.n
    sxx = m.centred_xx()
    sxy = np.asarray(m.xy) - m.n * mean_x * mean_y
    syy = m.yy - m.n * mean_y**2
    if in_place:  # MRRR needs O(columns) workspace where divide and conquer needs columns²
        raw, vectors = scipy.linalg.eigh(
            sxx, lower=False, overwrite_a=True, check_finite=False, driver="evr"
        )
    else:
        raw, vectors = np.linalg.eigh(sxx)
    eigenvalues = np.clip(raw, 0.0, None)
    projected = vectors.T @ sxy
    best: tuple[float, float, np.ndarray] | None = None
    for alpha in ALPHAS:
        shrunk = projected / (eigenvalues + alpha)
        coef = vectors @ shrunk
        rss = syy - 2 * coef @ sxy + float(np.sum(raw * shrunk**2))  # coef' X'X coef
        dof = 1.0 + float(np.sum(eigenvalues / (eigenvalues + alpha)))  # 1: the intercept
        score = m.n * max(rss, 0.0) / max(m.n - dof, 1.0) ** 2
        if best is None or score < best[0]:
            best = (score, alpha, coef)
    assert best is not None  # ALPHAS is not empty
    _, alpha, coef = best
    return RidgeFit(coef, float(mean_y - mean_x @ coef), alpha)
