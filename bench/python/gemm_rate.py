"""The machine's own matrix-product rate at a model's shapes: the denominator of the CPU efficiency case.

Reads a JSON file {"threads": T, "dtype": "fp32"|"bf16", "products": [{"batch", "m", "k", "n", "count"}]}
and times every product (torch.mm when batch is 1, torch.bmm otherwise) with T intra-op threads, each
twice after one untimed run, keeping the faster. Prints {"gflops", "seconds", "flops", "torch"}: the
FLOP-weighted rate, total FLOPs over total seconds with each product's time multiplied by its count.
"""

import json
import sys
import time

import torch

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def seconds_of(product, dtype):
    batch, m, k, n = product["batch"], product["m"], product["k"], product["n"]
    if batch == 1:
        a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
        run = lambda: torch.mm(a, b)
    else:
        a, b = torch.randn(batch, m, k).to(dtype), torch.randn(batch, k, n).to(dtype)
        run = lambda: torch.bmm(a, b)
    run()
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main():
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    torch.set_num_threads(int(spec["threads"]))
    dtype = DTYPES[spec["dtype"]]
    flops = seconds = 0.0
    with torch.inference_mode():
        for product in spec["products"]:
            flops += 2.0 * product["batch"] * product["m"] * product["k"] * product["n"] * product["count"]
            seconds += seconds_of(product, dtype) * product["count"]
    print(json.dumps({"gflops": flops / seconds / 1e9, "seconds": seconds, "flops": flops, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
