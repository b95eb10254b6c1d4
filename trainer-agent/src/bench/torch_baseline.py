"""PyTorch CPU baseline for `npm run bench:training`: the same models, batch size and thread count as the tfjs run.

Usage: python3 torch_baseline.py <features.f32> <labels.i32> <count> <seconds> <mlp|cnn>
Reads `count` records of 784 float32 features (already scaled to [0, 1]) and int32 labels, trains the MLP
784-200-200-10 or the FedAvg CNN with plain SGD (lr 0.05), batch 32, one thread, for about the given time, and
prints one JSON line: {"torch": version, "threads": 1, "blas": BLAS_INFO, "mkldnn": bool, "samplesPerS": ...,
"samplesPerCpuS": ...} (per second of wall-clock time, and per second of this process's CPU time).
"""

import json
import sys
import time

import numpy as np
import torch
from torch import nn


def mlp():
    return nn.Sequential(nn.Linear(784, 200), nn.ReLU(), nn.Linear(200, 200), nn.ReLU(), nn.Linear(200, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Linear(512, 10),
    )


def samples_per_second(model, x, y, seconds, batch=32):
    optimiser = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    n = x.shape[0]

    def step(i):
        start = (i * batch) % (n - batch + 1)
        optimiser.zero_grad()
        loss = loss_fn(model(x[start:start + batch]), y[start:start + batch])
        loss.backward()
        optimiser.step()

    for i in range(3):  # warm-up
        step(i)
    steps = 0
    began = time.perf_counter()
    began_cpu = time.process_time()
    while time.perf_counter() - began < seconds:
        step(steps)
        steps += 1
    return steps * batch / (time.perf_counter() - began), steps * batch / (time.process_time() - began_cpu)


def main():
    features_path, labels_path, count, seconds, which = sys.argv[1:6]
    count, seconds = int(count), float(seconds)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.from_numpy(np.fromfile(features_path, dtype=np.float32).reshape(count, 784))
    y = torch.from_numpy(np.fromfile(labels_path, dtype=np.int32).astype(np.int64))
    if which == "mlp":
        rate, cpu_rate = samples_per_second(mlp(), x, y, seconds)
    else:
        rate, cpu_rate = samples_per_second(cnn(), x.reshape(count, 1, 28, 28), y, seconds)
    config = torch.__config__.show()
    blas = config.split("BLAS_INFO=")[1].split(",")[0] if "BLAS_INFO=" in config else "unknown"
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "samplesPerS": rate,
        "samplesPerCpuS": cpu_rate,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
