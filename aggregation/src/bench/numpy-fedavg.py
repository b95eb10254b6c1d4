"""FedAvg the way Flower's server/strategy/aggregate.py `aggregate()` computes it, timed for the benchmark.

Each client's layers are multiplied by its example count (one weighted copy per client), the copies are
reduced layer by layer with np.add, and the sum is divided by the total count. Written here to mirror that
algorithm; usage: numpy-fedavg.py CLIENTS PARAMS REPS. Prints one JSON line.
"""

import functools
import json
import sys
import time

import numpy as np


def weighted_average(results):
    """results: list of (list of layer arrays, num_examples)."""
    total_examples = sum(count for _, count in results)
    scaled = [[layer * count for layer in layers] for layers, count in results]
    return [functools.reduce(np.add, same_layer) / total_examples for same_layer in zip(*scaled)]


def main():
    clients, params, reps = (int(arg) for arg in sys.argv[1:4])
    rng = np.random.default_rng(2017)
    results = [
        ([rng.standard_normal(params, dtype=np.float32)], int(rng.integers(1, 1000)))
        for _ in range(clients)
    ]
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        out = weighted_average(results)
        times.append(time.perf_counter() - start)
    print(json.dumps({
        "seconds": min(times),
        "reps": reps,
        "dtype": str(out[0].dtype),
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
