"""GELU and the error function it needs, in float64 and in float32 (numpy has no erf).

    GELU(x) = x · Φ(x),   Φ(x) = (1 + erf(x/√2)) / 2

float64 uses Cody's rational approximations, exact to double precision; float32 uses one rational
function on [-4, 4] (the one Eigen and XLA use: past ±4 erf is ±1 in float32), a dozen fused
passes instead of three gathered ranges, so the float32 encoder is not held back by its activation.
Each dtype stays in its own arithmetic: float32 in gives float32 out.
"""

import math

import numpy as np

BLOCK = 1 << 17  # entries per block: a block and its temporaries stay in a 1 MiB L2 cache

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969):
# erf on |x| <= 0.46875, and erfc(x) · exp(x²) on 0.46875 < |x| <= 4 and on |x| > 4 (in 1/x²).
# Coefficients highest power first.
_ERF_NUM = (1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2)
_ERF_NUM += (3.77485237685302021e2, 3.20937758913846947e3)
_ERF_DEN = (1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3)
_ERF_DEN += (2.84423683343917062e3,)
_MID_NUM = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0)
_MID_NUM += (6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2)
_MID_NUM += (1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3)
_MID_DEN = (1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2)
_MID_DEN += (1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3)
_MID_DEN += (3.43936767414372164e3, 1.23033935480374942e3)
_TAIL_NUM = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1)
_TAIL_NUM += (1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_TAIL_DEN = (1.0, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1)
_TAIL_DEN += (6.05183413124413191e-2, 2.33520497626869185e-3)


def _ratio(num, den, z):  # coefficients, coefficients, [n] -> [n]
    """num(z) / den(z) by Horner's rule, updating in place (this runs on every GELU input)."""
    p, q = np.full_like(z, num[0]), np.full_like(z, den[0])
    for a in num[1:]:
        p *= z
        p += a
    for b in den[1:]:
        q *= z
        q += b
    return p / q


def _erf_float64(x):  # [..] -> float64 [..]
    """The error function to double precision (math.erf is scalar).

    Each entry goes through exactly one of Cody's three ranges, picked by index (faster than
    boolean masks); NaN falls in the last range and stays NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x).ravel()
    out = np.empty_like(y)
    low, mid = np.flatnonzero(y <= 0.46875), np.flatnonzero((y > 0.46875) & (y <= 4.0))
    high = np.flatnonzero(~(y <= 4.0))
    t = y.take(low)
    out[low] = t * _ratio(_ERF_NUM, _ERF_DEN, t * t)
    t = y.take(mid)
    out[mid] = 1 - np.exp(-t * t) * _ratio(_MID_NUM, _MID_DEN, t)
    t = np.minimum(y.take(high), 27.0)  # past 27, exp(-t²) is 0 in float64: erf is exactly 1
    z = 1 / (t * t)
    out[high] = 1 - np.exp(-t * t) * (1 / math.sqrt(math.pi) - z * _ratio(_TAIL_NUM, _TAIL_DEN, z)) / t
    return np.copysign(out.reshape(x.shape), x)


# Eigen's float32 erf: x · α(x²) / β(x²) on x clamped to [-4, 4]; coefficients highest power first.
_ALPHA = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06, -5.69250639462346e-05)
_ALPHA += (-7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02)
_BETA = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03, -7.37332916720468e-03)
_BETA += (-1.42647390514189e-02,)


def _erf_float32(x):  # float32 [n] -> float32 [n]
    """erf to float32 precision (abs error under 1e-6); NaN stays NaN, ±inf gives ±1."""
    x = np.clip(x, -4.0, 4.0)
    z = x * x
    return x * _ratio(_ALPHA, _BETA, z)


def erf(x):  # [..] -> [..]
    """The error function, vectorised, in float32 for float32 input and in float64 otherwise."""
    x = np.asarray(x)
    if x.dtype == np.float32:
        return _erf_float32(x.ravel()).reshape(x.shape)
    return _erf_float64(x)


def gelu(x):  # [..] -> [..]
    """BERT's "gelu": x · Φ(x) with the exact normal CDF Φ(x) = (1 + erf(x/√2)) / 2.

    Done in blocks of BLOCK entries, so each block's passes run in the cache rather than memory.
    """
    x = np.asarray(x)
    flat = x.ravel()
    out = np.empty_like(flat, dtype=np.result_type(flat, np.float32))
    for i in range(0, flat.size, BLOCK):
        part = flat[i : i + BLOCK]
        phi = erf(part * (1 / math.sqrt(2.0)))
        phi += 1.0
        phi *= part
        phi *= 0.5
        out[i : i + BLOCK] = phi
    return out.reshape(x.shape)
