"""Reference draws of numpy's PCG64 for nnlab's block-buffered generator (test/envs.pcg64.test.ts).

Writes test/fixtures/pcg64_blocks.json: a long raw 64-bit stream (`random_raw`, numpy's
`next_uint64`) from `SeedSequence(42)`, the state after n draws for n around the block boundaries
(getState mid-block), a mix of `random()` and uint32 draws whose kept upper half spans a block
boundary (numpy's `next_uint32` pairing), and a state far along the stream (`advance`) with the
draws that follow it. 64-bit values are 16 hex digits, 128-bit states 32.

Needs only numpy:

    python3 bench/python/pcg64_blocks.py

(The committed fixture was made with numpy 2.4.)
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

SEED = 42
RAW = 300
STATE_AFTER = [0, 1, 15, 16, 17, 21, 31, 32, 33, 64, 65, 100, 299, 300]


def pcg64(seed: int) -> np.random.PCG64:
    return np.random.PCG64(np.random.SeedSequence(seed))


def state_of(bg: np.random.PCG64) -> dict:
    st = bg.state
    return {"state": "%032x" % st["state"]["state"], "hasUint32": int(st["has_uint32"]), "uinteger": int(st["uinteger"])}


def next32_case() -> list[dict]:
    """Steps of (what, n): n doubles or n uint32s, each followed by the values drawn and the state."""
    g = np.random.Generator(pcg64(SEED))
    out = []
    for what, n in [("random", 15), ("uint32", 3), ("random", 15), ("uint32", 1), ("uint32", 2), ("random", 1)]:
        if what == "random":
            values = [float(g.random()) for _ in range(n)]
        else:
            values = [int(v) for v in g.integers(0, 2**32, size=n, dtype=np.uint32)]
        out.append({"what": what, "values": values, "after": state_of(g.bit_generator)})
    return out


def main() -> None:
    raw = [int(v) for v in pcg64(SEED).random_raw(RAW)]
    states = []
    for n in STATE_AFTER:
        bg = pcg64(SEED)
        bg.random_raw(n)
        states.append({"draws": n, **state_of(bg)})
    jumped = pcg64(7)
    jumped.advance(2**100 + 12345)
    st = jumped.state["state"]
    fixture = {
        "numpy": np.__version__,
        "seed": SEED,
        "inc": "%032x" % pcg64(SEED).state["state"]["inc"],
        "raw": ["%016x" % v for v in raw],
        "states": states,
        "next32": next32_case(),
        "jumped": {"state": "%032x" % st["state"], "inc": "%032x" % st["inc"], "raw": ["%016x" % int(v) for v in jumped.random_raw(40)]},
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "pcg64_blocks.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
