"""Reference draws of Gymnasium 1.4 for nnlab's seeding tests (test/envs.seeding.test.ts).

Writes test/fixtures/gymnasium_seeding.json: seeded resets, `action_space.sample()` after
`action_space.seed(s)`, whole episodes of random actions (up to 200 steps, then a reset without a
seed), space samples, composite-space seeding, sync vector envs, FrozenLake's random maps and raw
numpy Generator draws. Long sequences are stored as SHA-256 digests of their float64
little-endian bytes (the test hashes its own values the same way); a few are stored in full so a
failure shows where the streams part.

Gymnasium is not a dependency of nnlab. To run this script, put Gymnasium 1.4.0's source tree on
PYTHONPATH (it needs numpy; `farama_notifications` can be a stub module holding
`notifications = {}`), e.g.:

    git clone --depth 1 --branch v1.4.0 https://github.com/Farama-Foundation/Gymnasium /tmp/gym
    mkdir -p /tmp/stub/farama_notifications
    echo 'notifications = {}' > /tmp/stub/farama_notifications/__init__.py
    PYTHONPATH=/tmp/gym:/tmp/stub python3 bench/python/gymnasium_seeding.py

(The committed fixture was made with Gymnasium 1.4.0 and numpy 2.4.)
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import numpy as np

import gymnasium as gym
from gymnasium import spaces
from gymnasium.envs.toy_text.frozen_lake import generate_random_map

assert gym.__version__.startswith("1.4"), f"expected Gymnasium 1.4, got {gym.__version__}"

SEEDS = list(range(20))
FULL_SEEDS = [0, 42]
MAX_STEPS = 200

# nnlab id and camelCase kwargs, Gymnasium id and kwargs.
ENVS = [
    ("CartPole-v1", {}, "CartPole-v1", {}),
    ("MountainCar-v0", {}, "MountainCar-v0", {}),
    ("Acrobot-v1", {}, "Acrobot-v1", {}),
    ("Pendulum-v1", {}, "Pendulum-v1", {}),
    ("FrozenLake-v1", {}, "FrozenLake-v1", {}),
    ("FrozenLake-v1", {"isSlippery": False}, "FrozenLake-v1", {"is_slippery": False}),
    ("FrozenLake8x8-v1", {}, "FrozenLake8x8-v1", {}),
    ("CliffWalking-v1", {}, "CliffWalking-v1", {}),
    ("CliffWalkingSlippery-v1", {}, "CliffWalkingSlippery-v1", {}),
    ("Taxi-v4", {}, "Taxi-v4", {}),
    ("Taxi-v4", {"isRainy": True}, "Taxi-v4", {"is_rainy": True}),
    ("Taxi-v4", {"ficklePassenger": True, "fickleProbability": 1.0}, "Taxi-v4", {"fickle_passenger": True, "fickle_probability": 1.0}),
]


def flat(x) -> list[float]:
    """A value (number, array, tuple, dict with sorted keys) as a flat list of floats."""
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in flat(x[k])]
    if isinstance(x, tuple):
        return [v for part in x for v in flat(part)]
    return [float(v) for v in np.asarray(x, dtype=np.float64).ravel()]


def digest(values: list[float]) -> str:
    return hashlib.sha256(np.asarray(values, dtype="<f8").tobytes()).hexdigest()


def episode(env_id: str, kwargs: dict, seed: int) -> dict:
    """reset(seed), action_space.seed(seed), random actions until the episode ends or 200 steps, then reset()."""
    env = gym.make(env_id, **kwargs)
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    record = flat(obs)
    actions, steps = [], 0
    while steps < MAX_STEPS:
        a = env.action_space.sample()
        obs, r, term, trunc, _ = env.step(a)
        steps += 1
        actions.append(flat(a))
        record += flat(a) + flat(obs)
        record += [float(r), float(term), float(trunc)]
        if term or trunc:
            break
    obs2, _ = env.reset()
    record += flat(obs2)
    env.close()
    return {"steps": steps, "record": record, "actions": actions}


def env_cases() -> list[dict]:
    out = []
    for nn_id, nn_kwargs, gym_id, gym_kwargs in ENVS:
        resets, samples, digests, lengths, full = [], [], [], [], {}
        for s in SEEDS:
            env = gym.make(gym_id, **gym_kwargs)
            resets.append(flat(env.reset(seed=s)[0]))
            env.action_space.seed(s)
            samples.append([flat(env.action_space.sample()) for _ in range(5)])
            env.close()
            ep = episode(gym_id, gym_kwargs, s)
            digests.append(digest(ep["record"]))
            lengths.append(ep["steps"])
            if s in FULL_SEEDS:
                full[str(s)] = ep["record"]
        out.append({"id": nn_id, "kwargs": nn_kwargs, "resets": resets, "samples": samples, "episodeSteps": lengths, "episodeDigests": digests, "episodes": full})
    return out


def space_cases() -> list[dict]:
    inf = np.inf
    # (description for the test to rebuild the space, Gymnasium space, masks to sample with)
    cases = [
        ({"type": "Discrete", "n": 5}, spaces.Discrete(5), None),
        ({"type": "Discrete", "n": 3, "start": -2}, spaces.Discrete(3, start=-2), None),
        ({"type": "Discrete", "n": 500}, spaces.Discrete(500), None),
        ({"type": "Discrete", "n": 7}, spaces.Discrete(7), np.array([0, 1, 1, 0, 0, 1, 0], dtype=np.int8)),
        ({"type": "Discrete", "n": 3}, spaces.Discrete(3), np.array([0, 0, 0], dtype=np.int8)),
        ({"type": "Discrete", "n": 2**33}, spaces.Discrete(2**33), None),
        ({"type": "Box", "low": -1, "high": 2, "shape": [3], "dtype": "float32"}, spaces.Box(-1, 2, (3,), np.float32), None),
        ({"type": "Box", "low": [-1, 0, 5], "high": [1, 0.5, 7], "dtype": "float64"}, spaces.Box(np.array([-1, 0, 5.0]), np.array([1, 0.5, 7.0]), dtype=np.float64), None),
        ({"type": "Box", "low": "-inf", "high": "inf", "shape": [4], "dtype": "float32"}, spaces.Box(-inf, inf, (4,), np.float32), None),
        ({"type": "Box", "low": 0, "high": "inf", "shape": [3], "dtype": "float32"}, spaces.Box(0, inf, (3,), np.float32), None),
        ({"type": "Box", "low": "-inf", "high": 1, "shape": [3], "dtype": "float64"}, spaces.Box(-inf, 1, (3,), np.float64), None),
        ({"type": "Box", "low": ["-inf", 0, "-inf", -1], "high": ["inf", "inf", 2, 1], "dtype": "float32"}, spaces.Box(np.array([-inf, 0, -inf, -1], dtype=np.float32), np.array([inf, inf, 2, 1], dtype=np.float32), dtype=np.float32), None),
        ({"type": "Box", "low": -3, "high": 4, "shape": [5], "dtype": "int32"}, spaces.Box(-3, 4, (5,), np.int32), None),
        ({"type": "Box", "low": 0, "high": 255, "shape": [2, 3], "dtype": "uint8"}, spaces.Box(0, 255, (2, 3), np.uint8), None),
        ({"type": "Box", "low": "-inf", "high": 5, "shape": [3], "dtype": "int16"}, spaces.Box(-inf, 5, (3,), np.int16), None),
        ({"type": "MultiDiscrete", "nvec": [3, 5, 2]}, spaces.MultiDiscrete([3, 5, 2]), None),
        ({"type": "MultiDiscrete", "nvec": [4, 6], "start": [-1, 10]}, spaces.MultiDiscrete([4, 6], start=[-1, 10]), None),
        ({"type": "MultiDiscrete", "nvec": [3, 4]}, spaces.MultiDiscrete([3, 4]), (np.array([1, 0, 1], dtype=np.int8), np.array([0, 0, 0, 0], dtype=np.int8))),
        ({"type": "MultiBinary", "n": 10}, spaces.MultiBinary(10), None),
        ({"type": "MultiBinary", "n": 37}, spaces.MultiBinary(37), None),
        ({"type": "MultiBinary", "n": 6}, spaces.MultiBinary(6), np.array([2, 0, 1, 2, 2, 1], dtype=np.int8)),
    ]
    tuple_space = lambda: spaces.Tuple((spaces.Discrete(3), spaces.Box(-1, 1, (2,), np.float32), spaces.MultiBinary(4)))
    dict_space = lambda: spaces.Dict({"pos": spaces.Box(-1, 1, (2,), np.float32), "action": spaces.Discrete(4), "bits": spaces.MultiBinary(3)})
    nested = lambda: spaces.Tuple((spaces.Discrete(5), spaces.Dict({"b": spaces.Discrete(2), "a": spaces.Box(0, 1, (1,), np.float64)})))
    composite = [
        ({"type": "Tuple", "spaces": [{"type": "Discrete", "n": 3}, {"type": "Box", "low": -1, "high": 1, "shape": [2], "dtype": "float32"}, {"type": "MultiBinary", "n": 4}]}, tuple_space),
        ({"type": "Dict", "spaces": {"pos": {"type": "Box", "low": -1, "high": 1, "shape": [2], "dtype": "float32"}, "action": {"type": "Discrete", "n": 4}, "bits": {"type": "MultiBinary", "n": 3}}}, dict_space),
        ({"type": "Tuple", "spaces": [{"type": "Discrete", "n": 5}, {"type": "Dict", "spaces": {"b": {"type": "Discrete", "n": 2}, "a": {"type": "Box", "low": 0, "high": 1, "shape": [1], "dtype": "float64"}}}]}, nested),
    ]
    out = []
    for desc, space, mask in cases:
        seeds, samples = [], []
        for s in SEEDS:
            seeds.append(int(space.seed(s)))
            samples.append([flat(space.sample(mask) if mask is not None else space.sample()) for _ in range(3)])
        entry = {"space": desc, "seedReturns": seeds, "samples": samples}
        if mask is not None:
            entry["mask"] = [m.tolist() for m in mask] if isinstance(mask, tuple) else mask.tolist()
        out.append(entry)
    for desc, make_space in composite:
        seeds, samples = [], []
        for s in SEEDS:
            space = make_space()
            seeds.append(flat(space.seed(s)))
            samples.append([flat(space.sample()) for _ in range(3)])
        out.append({"space": desc, "seedReturns": seeds, "samples": samples})
    # Explicit per-subspace seeds.
    space = tuple_space()
    space.seed([7, 8, 9])
    out.append({"space": composite[0][0], "seedWith": [7, 8, 9], "samples": [[flat(space.sample()) for _ in range(5)]]})
    space = dict_space()
    space.seed({"pos": 3, "action": 4, "bits": 5})
    out.append({"space": composite[1][0], "seedWith": {"pos": 3, "action": 4, "bits": 5}, "samples": [[flat(space.sample()) for _ in range(5)]]})
    return out


def vector_cases() -> list[dict]:
    out = []
    for env_id, n, seed in [("CartPole-v1", 3, 7), ("FrozenLake-v1", 4, 11), ("Taxi-v4", 2, 5)]:
        envs = gym.make_vec(env_id, num_envs=n, vectorization_mode="sync")
        obs, _ = envs.reset(seed=seed)
        envs.action_space.seed(seed)
        record = flat(obs)
        for _ in range(MAX_STEPS):
            a = envs.action_space.sample()
            obs, r, term, trunc, _ = envs.step(a)
            record += flat(a) + flat(obs) + flat(r) + flat(term) + flat(trunc)
        envs.close()
        out.append({"id": env_id, "numEnvs": n, "seed": seed, "steps": MAX_STEPS, "head": record[: 40], "digest": digest(record)})
    return out


def generator_cases() -> list[dict]:
    out = []
    for seed in [0, 1, 42, 12345, 2**32 + 7, 2**53 - 1]:
        g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
        st = g.bit_generator.state["state"]
        entry = {"seed": seed, "state": "%032x" % st["state"], "inc": "%032x" % st["inc"]}
        entry["random"] = [g.random() for _ in range(4)]
        entry["integers"] = [[n, int(g.integers(n))] for n in [2, 3, 6, 500, 1, 2**31 - 1, 2**32 - 1, 2**32, 2**40 + 3, 10**15]]
        entry["uniform"] = [g.uniform(-0.05, 0.05) for _ in range(3)]
        entry["normal"] = [float(v) for v in g.normal(size=5)]
        entry["exponential"] = [float(v) for v in g.exponential(size=5)]
        entry["int8"] = [int(v) for v in g.integers(0, 2, size=9, dtype=np.int8)]
        entry["uint16"] = [int(v) for v in g.integers(3, 1000, size=5, dtype=np.uint16)]
        # Enough draws to reach the ziggurats' rare branches (tail and wedge rejections).
        entry["normalDigest"] = digest(list(g.normal(size=20000)))
        entry["exponentialDigest"] = digest(list(g.exponential(size=20000)))
        bg = g.bit_generator.state
        entry["after"] = {"state": "%032x" % bg["state"]["state"], "hasUint32": int(bg["has_uint32"]), "uinteger": int(bg["uinteger"])}
        out.append(entry)
    return out


def main() -> None:
    fixture = {
        "gymnasium": gym.__version__,
        "numpy": np.__version__,
        "maxSteps": MAX_STEPS,
        "generators": generator_cases(),
        "envs": env_cases(),
        "spaces": space_cases(),
        "vector": vector_cases(),
        "randomMaps": [{"size": size, "p": p, "seed": s, "map": generate_random_map(size=size, p=p, seed=s)} for size, p, s in [(8, 0.8, 0), (8, 0.8, 1), (4, 0.5, 3), (6, 0.3, 9)]],
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "gymnasium_seeding.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
