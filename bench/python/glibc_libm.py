"""Reference values of glibc's sin, cos, pow and powf for nnlab's libm tests (test/base.libm.test.ts).

nnlab's base/libm ports glibc's x86-64 FMA variants of these functions so that envs reproduce
Gymnasium's float64 dynamics and rewards bit for bit (numpy and CPython call glibc for them). This
script evaluates them through CPython (`math.sin`, `math.cos`, `float ** float`) and numpy
(`np.float32 ** np.float32`, which calls `powf`) on deterministic argument sequences that the test
rebuilds with the same float64 arithmetic, and writes test/fixtures/glibc_libm.json: SHA-256
digests of the results (float64 little-endian bytes) and the first values in full.

Run it on x86-64 Linux with glibc ≥ 2.28 on a CPU with AVX2 and FMA (glibc then picks its
`__sin_fma`, `__cos_fma`, `__pow_fma`, `__powf_fma` variants):

    python3 bench/python/glibc_libm.py

(The committed fixture was made with glibc 2.36, CPython 3.11 and numpy 2.4.)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform

import numpy as np

N = 40000
FULL = 24
PHI = 0.6180339887498949  # frac(i·PHI) is an equidistributed sequence in [0, 1)
SQRT2 = 1.4142135623730951
# the ranges cover every branch: |x| < 0.126, < 0.855, < 2.43, the π/2 reduction, and large x
TRIG_SCALES = [0.26, 1.8, 5.0, 200.0, 2.0e6]


def frac(x: float) -> float:
    return x % 1.0


def trig_args() -> list[float]:
    return [frac(i * PHI) * TRIG_SCALES[i % 5] - TRIG_SCALES[i % 5] / 2 for i in range(N)]


def pow_args() -> list[tuple[float, float]]:
    out = []
    for i in range(N):
        u, v = frac(i * PHI), frac(i * SQRT2)
        kind = i % 4
        if kind == 0:
            out.append((u * 40 - 20, 2.0))  # the squares the envs take
        elif kind == 1:
            out.append((u * 50, v * 16 - 8))
        elif kind == 2:
            out.append((-u * 10, float(int(v * 19) - 9)))  # negative base, integer exponent
        else:
            out.append((0.99 + u * 0.02, v * 6000 - 3000))  # results near overflow and underflow
    return out


def digest(values: list[float]) -> str:
    return hashlib.sha256(np.asarray(values, dtype="<f8").tobytes()).hexdigest()


def entry(values: list[float]) -> dict:
    return {"digest": digest(values), "first": values[:FULL]}


def cpu_flags() -> list[str]:
    try:
        with open("/proc/cpuinfo") as f:
            flags = next(line for line in f if line.startswith("flags")).split()
        return [f for f in ("avx2", "fma") if f in flags]
    except (OSError, StopIteration):
        return []


def main() -> None:
    xs = trig_args()
    pairs = pow_args()
    with np.errstate(all="ignore"):
        powf = [float(np.float32(x) ** np.float32(y)) for x, y in pairs]
    fixture = {
        "made_with": {"libc": " ".join(platform.libc_ver()), "machine": platform.machine(), "cpu": cpu_flags(), "numpy": np.__version__},
        "n": N,
        "sin": entry([math.sin(x) for x in xs]),
        "cos": entry([math.cos(x) for x in xs]),
        "pow": entry([x**y for x, y in pairs]),
        "powf": entry(powf),
    }
    out = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "glibc_libm.json")
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
