"""PyTorch DQN on CartPole-v1, the peer of nnlab's DQN in bench/learning.ts.

Same algorithm, hyperparameters and loop as agents/dqn.ts + agents/offPolicy.ts (SB3 rl-zoo
CartPole settings by default; `--double-q` for the Double DQN target, which nnlab uses by default): MLP 4-256-256-2 (ReLU, PyTorch default init), Adam, Huber loss,
global-norm clipping 10, uniform replay, hard target copy every `target_update_interval` env
steps, `gradient_steps` updates every `train_freq` env steps after `learning_starts`, linear
epsilon schedule; greedy evaluation over `eval_episodes` every `eval_interval` steps, stopping when
the mean return reaches `goal`. The env is the Gymnasium-equivalent CartPole of cartpole_bench.py
(Gymnasium cannot be installed on these machines).

Prints one JSON line: {"seed", "goal_reached_at", "env_steps", "wall_seconds", "updates",
"threads", "torch"}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cartpole_bench import NumpyCartPole  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--total-timesteps", type=int, default=100_000)
    p.add_argument("--learning-rate", type=float, default=2.3e-3)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--buffer-size", type=int, default=100_000)
    p.add_argument("--learning-starts", type=int, default=1000)
    p.add_argument("--train-freq", type=int, default=256)
    p.add_argument("--gradient-steps", type=int, default=128)
    p.add_argument("--target-update-interval", type=int, default=10)
    p.add_argument("--exploration-fraction", type=float, default=0.16)
    p.add_argument("--final-eps", type=float, default=0.04)
    p.add_argument("--max-grad-norm", type=float, default=10.0)
    p.add_argument("--hidden", type=str, default="256,256")
    p.add_argument("--double-q", action="store_true", help="Double DQN target (van Hasselt et al. 2016)")
    p.add_argument("--eval-interval", type=int, default=5000)
    p.add_argument("--eval-episodes", type=int, default=10)
    p.add_argument("--goal", type=float, default=475.0)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    hidden = [int(h) for h in a.hidden.split(",")]

    def mlp():
        layers, d = [], 4
        for h in hidden:
            layers += [nn.Linear(d, h), nn.ReLU()]
            d = h
        layers.append(nn.Linear(d, 2))
        return nn.Sequential(*layers)

    q, q_target = mlp(), mlp()
    q_target.load_state_dict(q.state_dict())
    opt = torch.optim.Adam(q.parameters(), lr=a.learning_rate)

    n = a.buffer_size
    obs_buf = np.zeros((n, 4), np.float32)
    next_buf = np.zeros((n, 4), np.float32)
    act_buf = np.zeros(n, np.int64)
    rew_buf = np.zeros(n, np.float32)
    term_buf = np.zeros(n, np.float32)
    pos = size = 0

    env = NumpyCartPole(a.seed)
    obs, _ = env.reset()

    def evaluate():
        e = NumpyCartPole(1_000_000 + a.seed * 1000)
        total = 0.0
        for _ in range(a.eval_episodes):
            o, _ = e.reset()
            while True:
                with torch.no_grad():
                    act = int(q(torch.from_numpy(o).unsqueeze(0)).argmax(1).item())
                o, r, term, trunc, _ = e.step(act)
                total += r
                if term or trunc:
                    break
        return total / a.eval_episodes

    t0 = time.perf_counter()
    updates = 0
    goal_at = None
    last_train = last_target = last_eval = 0
    step = 0
    while step < a.total_timesteps:
        span = a.exploration_fraction * a.total_timesteps
        eps = 1.0 if step < a.learning_starts else 1.0 + min(1.0, step / span) * (a.final_eps - 1.0)
        if rng.random() < eps:
            action = int(rng.integers(2))
        else:
            with torch.no_grad():
                action = int(q(torch.from_numpy(obs).unsqueeze(0)).argmax(1).item())
        next_obs, r, term, trunc, _ = env.step(action)
        obs_buf[pos], act_buf[pos], rew_buf[pos], next_buf[pos], term_buf[pos] = obs, action, r, next_obs, float(term)
        pos = (pos + 1) % n
        size = min(size + 1, n)
        obs = next_obs
        if term or trunc:
            obs, _ = env.reset()
        step += 1
        if step >= a.learning_starts and step - last_train >= a.train_freq:
            last_train = step
            for _ in range(a.gradient_steps):
                idx = rng.integers(size, size=a.batch_size)
                o = torch.from_numpy(obs_buf[idx])
                no = torch.from_numpy(next_buf[idx])
                with torch.no_grad():
                    if a.double_q:
                        bootstrap = q_target(no).gather(1, q(no).argmax(1, keepdim=True)).squeeze(1)
                    else:
                        bootstrap = q_target(no).max(1).values
                    target = torch.from_numpy(rew_buf[idx]) + a.gamma * (1 - torch.from_numpy(term_buf[idx])) * bootstrap
                q_taken = q(o).gather(1, torch.from_numpy(act_buf[idx]).unsqueeze(1)).squeeze(1)
                loss = F.smooth_l1_loss(q_taken, target)
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(q.parameters(), a.max_grad_norm)
                opt.step()
                updates += 1
        if step - last_target >= a.target_update_interval:
            last_target = step
            q_target.load_state_dict(q.state_dict())
        if step - last_eval >= a.eval_interval:
            last_eval = step
            if evaluate() >= a.goal:
                goal_at = step
                break
    print(json.dumps({
        "seed": a.seed, "goal_reached_at": goal_at, "env_steps": step,
        "wall_seconds": time.perf_counter() - t0, "updates": updates,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
