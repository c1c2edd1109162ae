"""PyTorch twin of bench/webgpu/bench.ts: the same workloads on CUDA, timed the same way.

    python3 bench/webgpu/bench.py [--quick] [--seconds S] [--rounds R] [--warmup W]
        [--small NxCxHxW] [--big NxCxHxW] [--only lenet,small,big] [--device cuda|cpu]

Workloads (bench/main.ts and bench/torch_bench.py's definitions):
- lenet_b64_train: the lesson-3 CIFAR-10 LeNet, batch 64 of 3x32x32, CrossEntropyLoss,
  SGD(lr 0.001, momentum 0.9), zero_grad / forward / backward / step; steps/s.
- resnet18_fwd_bwd_<shape>: torchvision.models.resnet18() (1000 classes), train mode,
  zero_grad, model(x).sum().backward(); ms per iteration, at the small shape (1x3x64x64)
  and at a GPU-sized batch (32x3x224x224).

Timing: --warmup iterations, each followed by torch.cuda.synchronize(); then --rounds rounds of
N iterations issued back to back between two torch.cuda.synchronize() calls, N chosen from the
last warm-up so that a round lasts about --seconds; the figure is the median round. PyTorch's
defaults are kept (cudnn.benchmark off; cuDNN may use TF32 for convolutions, as it does by
default). Prints `RESULT cuda <workload> <value> <unit>` lines, as bench.ts prints `RESULT
webgpu ...`; bench/webgpu/summarise.py pairs them. `--device cpu` runs the same on PyTorch's CPU
(lines say `torch_cpu`), to try the script where there is no GPU.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from net import Net  # noqa: E402 (bench/net.py, shared with bench/torch_bench.py)


def shape_of(s):
    d = [int(x) for x in s.split("x")]
    if len(d) != 4 or min(d) < 1:
        raise SystemExit(f"a shape is NxCxHxW, e.g. 32x3x224x224 (got {s})")
    return d


p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--quick", action="store_true")
p.add_argument("--seconds", type=float)
p.add_argument("--rounds", type=int)
p.add_argument("--warmup", type=int)
p.add_argument("--small", default="1x3x64x64")
p.add_argument("--big")
p.add_argument("--only")
p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
args = p.parse_args()
SECONDS = args.seconds if args.seconds is not None else (0 if args.quick else 2)
ROUNDS = args.rounds if args.rounds is not None else (1 if args.quick else 3)
WARMUP = args.warmup if args.warmup is not None else (1 if args.quick else 2)
SMALL = shape_of(args.small)
BIG = shape_of(args.big or ("2x3x32x32" if args.quick else "32x3x224x224"))
ONLY = set(args.only.split(",")) if args.only else None
DEV = torch.device(args.device)
LABEL = "cuda" if args.device == "cuda" else "torch_cpu"


def lenet_step(batch):
    torch.manual_seed(0)
    net = Net().to(DEV)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    inputs = torch.randn(batch, 3, 32, 32).to(DEV)
    labels = torch.randint(0, 10, (batch,)).to(DEV)

    def step():
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        return loss

    return step


def resnet_step(shape):
    import torchvision  # noqa: PLC0415 (only the resnet workloads need it)

    torch.manual_seed(0)
    model = torchvision.models.resnet18().to(DEV)
    model.train()
    x = torch.randn(*shape).to(DEV)

    def step():
        model.zero_grad()
        s = model(x).sum()
        s.backward()
        return s

    return step


def sync():
    if DEV.type == "cuda":
        torch.cuda.synchronize()


dims = "x".join
WORKLOADS = [
    ("lenet", "lenet_b64_train", "steps/s", 2000, lambda: lenet_step(64)),
    ("small", f"resnet18_fwd_bwd_{dims(map(str, SMALL))}", "ms", 200, lambda: resnet_step(SMALL)),
    ("big", f"resnet18_fwd_bwd_{dims(map(str, BIG))}", "ms", 10, lambda: resnet_step(BIG)),
]


def measure(name, max_n, make):
    t0 = time.perf_counter()
    step = make()
    sync()
    setup_ms = (time.perf_counter() - t0) * 1000
    warm = []
    for _ in range(max(1, WARMUP)):
        a = time.perf_counter()
        step()
        sync()
        warm.append(time.perf_counter() - a)
    n = max(1, min(max_n, round(SECONDS / warm[-1])))
    rounds = []
    for _ in range(max(1, ROUNDS)):
        sync()
        a = time.perf_counter()
        for _ in range(n):
            step()
        sync()
        rounds.append((time.perf_counter() - a) / n)
    peak = ""
    if DEV.type == "cuda":
        peak = f" cuda_mib_peak={torch.cuda.max_memory_allocated() / 2**20:.0f}"
        torch.cuda.reset_peak_memory_stats()
    print(
        f"INFO {LABEL} {name} setup_ms={setup_ms:.0f} warmup_ms={','.join(f'{w * 1000:.1f}' for w in warm)} "
        f"n={n} rounds_ms={','.join(f'{r * 1000:.3f}' for r in rounds)}{peak}",
        flush=True,
    )
    return statistics.median(rounds)


def main():
    started = time.perf_counter()
    if DEV.type == "cuda":
        if not torch.cuda.is_available():
            print("CUDA is unavailable to this PyTorch (--device cpu runs the workloads on the CPU)", file=sys.stderr)
            sys.exit(2)
        props = torch.cuda.get_device_properties(0)
        print(f"DEVICE name={torch.cuda.get_device_name(0)!r} memory_gib={props.total_memory / 2**30:.0f}")
    import torchvision  # noqa: PLC0415

    print(
        f"INFO torch={torch.__version__} torchvision={torchvision.__version__} cuda={torch.version.cuda} "
        f"cudnn={torch.backends.cudnn.version()} cudnn_benchmark={torch.backends.cudnn.benchmark} "
        f"cudnn_tf32={torch.backends.cudnn.allow_tf32} matmul_tf32={torch.backends.cuda.matmul.allow_tf32} "
        f"seconds={SECONDS} rounds={ROUNDS} warmup={WARMUP}",
        flush=True,
    )
    failed = False
    for key, name, unit, max_n, make in WORKLOADS:
        if ONLY and key not in ONLY and name not in ONLY:
            continue
        try:
            per = measure(name, max_n, make)
        except Exception as e:  # noqa: BLE001 (reported, the others still run)
            print(f"FAIL {LABEL} {name} {type(e).__name__}: {e}", flush=True)
            failed = True
            continue
        value = f"{1 / per:.2f} steps/s" if unit == "steps/s" else f"{per * 1000:.3f} ms"
        print(f"RESULT {LABEL} {name} {value}", flush=True)
        if DEV.type == "cuda":
            torch.cuda.empty_cache()
    print(f"INFO total_s={time.perf_counter() - started:.1f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
