"""CartPole-v1 steps/second in Python, the peer of bench/envs.ts.

A Gymnasium-equivalent CartPole (same float64 equations as gymnasium/envs/classic_control/
cartpole.py, float32 observations, a 500-step time limit, reset on episode end), written out
here because Gymnasium itself cannot be installed on these machines:

- single env: the step loop of `CartPoleEnv.step` with numpy scalars exactly as Gymnasium
  writes it (np.cos / np.sin / np.square, np.array(state, dtype=float32)) when numpy is
  available, and a pure-Python (math module) version;
- vector: Gymnasium's `CartPoleVectorEnv.step` (numpy arrays over all sub-envs, next-step
  autoreset) for 1, 64 and 1024 envs.

Random actions come from `random.random()` (single) / one numpy `integers` call (vector).
Prints JSON: {"numpy": bool, "results": [{"name", "num_envs", "median_sps", "runs_sps"}]}.
"""
import argparse
import json
import math
import random
import statistics
import time

try:
    import numpy as np
    HAVE_NUMPY = True
except ImportError:  # pragma: no cover
    HAVE_NUMPY = False

GRAVITY = 9.8
MASSCART = 1.0
MASSPOLE = 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4
MAX_STEPS = 500


class NumpyCartPole:
    """Gymnasium CartPoleEnv + TimeLimit, numpy scalars as in cartpole.py."""

    def __init__(self, seed):
        self.np_random = np.random.default_rng(seed)
        self.state = None
        self.steps = 0

    def reset(self):
        self.state = self.np_random.uniform(low=-0.05, high=0.05, size=(4,))
        self.steps = 0
        return np.array(self.state, dtype=np.float32), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if action == 1 else -FORCE_MAG
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + POLEMASS_LENGTH * np.square(theta_dot) * sintheta) / TOTAL_MASS
        thetaacc = (GRAVITY * sintheta - costheta * temp) / (
            LENGTH * (4.0 / 3.0 - MASSPOLE * np.square(costheta) / TOTAL_MASS)
        )
        xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
        x = x + TAU * x_dot
        x_dot = x_dot + TAU * xacc
        theta = theta + TAU * theta_dot
        theta_dot = theta_dot + TAU * thetaacc
        self.state = np.array((x, x_dot, theta, theta_dot), dtype=np.float64)
        terminated = bool(x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD)
        self.steps += 1
        truncated = self.steps >= MAX_STEPS
        return np.array(self.state, dtype=np.float32), 1.0, terminated, truncated, {}


class PureCartPole:
    """The same equations with floats and the math module (no numpy)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.state = None
        self.steps = 0

    def reset(self):
        self.state = [self.rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.steps = 0
        return list(self.state), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if action == 1 else -FORCE_MAG
        costheta = math.cos(theta)
        sintheta = math.sin(theta)
        temp = (force + POLEMASS_LENGTH * theta_dot * theta_dot * sintheta) / TOTAL_MASS
        thetaacc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - MASSPOLE * costheta * costheta / TOTAL_MASS))
        xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
        x = x + TAU * x_dot
        x_dot = x_dot + TAU * xacc
        theta = theta + TAU * theta_dot
        theta_dot = theta_dot + TAU * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        terminated = x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD
        self.steps += 1
        truncated = self.steps >= MAX_STEPS
        return list(self.state), 1.0, terminated, truncated, {}


class NumpyCartPoleVector:
    """Gymnasium CartPoleVectorEnv.step (next-step autoreset, time limit 500)."""

    def __init__(self, num_envs, seed):
        self.n = num_envs
        self.np_random = np.random.default_rng(seed)
        self.state = self.np_random.uniform(low=-0.05, high=0.05, size=(4, num_envs))
        self.steps = np.zeros(num_envs, dtype=np.int32)
        self.prev_done = np.zeros(num_envs, dtype=np.bool_)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = np.sign(action - 0.5) * FORCE_MAG
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + POLEMASS_LENGTH * np.square(theta_dot) * sintheta) / TOTAL_MASS
        thetaacc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (4.0 / 3.0 - MASSPOLE * np.square(costheta) / TOTAL_MASS))
        xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
        x = x + TAU * x_dot
        x_dot = x_dot + TAU * xacc
        theta = theta + TAU * theta_dot
        theta_dot = theta_dot + TAU * thetaacc
        self.state = np.stack((x, x_dot, theta, theta_dot))
        terminated = (x < -X_THRESHOLD) | (x > X_THRESHOLD) | (theta < -THETA_THRESHOLD) | (theta > THETA_THRESHOLD)
        self.steps += 1
        truncated = self.steps >= MAX_STEPS
        reward = np.ones_like(terminated, dtype=np.float32)
        self.state[:, self.prev_done] = self.np_random.uniform(low=-0.05, high=0.05, size=(4, self.prev_done.sum()))
        self.steps[self.prev_done] = 0
        reward[self.prev_done] = 0.0
        terminated[self.prev_done] = False
        truncated[self.prev_done] = False
        self.prev_done = np.logical_or(terminated, truncated)
        return self.state.T.astype(np.float32), reward, terminated, truncated, {}


def bench_single(cls, steps, seed):
    env = cls(seed)
    env.reset()
    rnd = random.Random(seed).random
    t0 = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(1 if rnd() < 0.5 else 0)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - t0)


def bench_vector(num_envs, iters, seed):
    env = NumpyCartPoleVector(num_envs, seed)
    rng = np.random.default_rng(seed + 1)
    t0 = time.perf_counter()
    for _ in range(iters):
        env.step(rng.integers(0, 2, size=num_envs))
    return num_envs * iters / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=100_000, help="steps per single-env run")
    parser.add_argument("--vec-steps", type=int, default=2_000_000, help="sub-env steps per vector run")
    args = parser.parse_args()
    results = []

    def record(name, num_envs, fn):
        runs = [fn(r) for r in range(args.repeats)]
        results.append({"name": name, "num_envs": num_envs, "median_sps": statistics.median(runs), "runs_sps": runs})

    if HAVE_NUMPY:
        record("python-numpy single (Gymnasium CartPoleEnv equivalent)", 1, lambda r: bench_single(NumpyCartPole, args.steps, r))
    record("python-pure single (math module)", 1, lambda r: bench_single(PureCartPole, args.steps, r))
    if HAVE_NUMPY:
        for n in (1, 64, 1024):
            iters = max(200, min(args.vec_steps // n, 10_000))
            record(f"python-numpy vector {n} (Gymnasium CartPoleVectorEnv equivalent)", n, lambda r, n=n, iters=iters: bench_vector(n, iters, r))
    print(json.dumps({"numpy": HAVE_NUMPY, "results": results}))


if __name__ == "__main__":
    main()
