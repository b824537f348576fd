"""Data for the lessons: generated here, or bundled with scikit-learn. Nothing is downloaded."""

from __future__ import annotations

import numpy as np

from ._validation import SeedLike, as_generator, check_positive_int, check_real


def synthetic_line(n: int = 200, theta: tuple[float, float] = (1.0, 2.0), noise: float = 0.5,
                   seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray]:
    """``y = θ0 + θ1 x + noise`` with ``x`` uniform on [-2, 2]: a regression problem whose true θ is known.

    Returns
    -------
    x : numpy.ndarray, shape (n,)
    y : numpy.ndarray, shape (n,)
    """
    n = check_positive_int("n", n)
    check_real("noise", noise, low=0.0, low_inclusive=True)  # a standard deviation
    rng = as_generator(seed)
    x = rng.uniform(-2.0, 2.0, n)
    return x, theta[0] + theta[1] * x + noise * rng.standard_normal(n)


def diabetes_bmi() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled diabetes data (442 patients), one feature: body mass index in kg/m².

    The target is a measure of disease progression one year later (about 25 to 346). The data ships inside
    scikit-learn, so nothing is downloaded; scikit-learn is imported only when this function is called.
    BMI is returned as measured (mean about 26.4 kg/m²): center it before gradient descent (lesson 03).

    Returns
    -------
    x : numpy.ndarray, shape (442,)
        Body mass index, kg/m².
    y : numpy.ndarray, shape (442,)
    """
    try:
        from sklearn.datasets import load_diabetes
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("diabetes_bmi() needs scikit-learn: pip install scikit-learn") from error
    data = load_diabetes(scaled=False)
    return data.data[:, 2].astype(np.float64), data.target.astype(np.float64)


def digits_split(test_fraction: float = 0.25, seed: SeedLike = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits (1797 images of 8×8 pixels, classes 0-9), split and scaled.

    Pixels (0 to 16) are divided by 16. The split is a seeded random permutation, so it is the same every run.

    Returns
    -------
    X_train, X_test : numpy.ndarray, shape (m, 64)
    y_train, y_test : numpy.ndarray of int, shape (m,)
    """
    check_real("test_fraction", test_fraction, low=0.0, high=0.9)
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("digits_split() needs scikit-learn: pip install scikit-learn") from error
    data = load_digits()
    X, y = data.data / 16.0, data.target.astype(np.int64)
    order = as_generator(seed).permutation(len(X))
    cut = int(round(len(X) * (1 - test_fraction)))
    return X[order[:cut]], X[order[cut:]], y[order[:cut]], y[order[cut:]]
