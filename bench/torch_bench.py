"""PyTorch twin of bench/main.ts: the same workloads, timed the same way.

Run by `deno task bench --vs-torch` as a child process (one process tree, so
the two sides alternate on the same machine state). It reads one request per
line on stdin, `<workload> <seconds>`, runs that workload for about that long
(after the first request of a workload, which also warms it up) and answers
one JSON line: {"per": seconds per iteration, "n": iterations}.
`ping` answers with the versions; `quit` (or EOF) ends it.

PyTorch runs on one thread (torch.set_num_threads(1)), as the issue's table:
the engine on the other side is single-threaded wasm.

    /usr/bin/python3 bench/torch_bench.py          # the server (used by main.ts)
    /usr/bin/python3 bench/torch_bench.py --once   # run every workload once, print a table
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from net import Net  # bench/net.py: the script's own folder is on sys.path

torch.set_num_threads(1)


def lenet_step(batch):
    torch.manual_seed(0)
    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    inputs = torch.randn(batch, 3, 32, 32)
    labels = torch.randint(0, 10, (batch,))

    def step():
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def resnet(backward):
    import torchvision  # noqa: PLC0415 (only the resnet workloads need it)

    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    x = torch.randn(1, 3, 64, 64)
    if not backward:
        model.eval()

        def fwd():
            with torch.no_grad():
                return model(x)

        return fwd
    model.train()

    def fwd_bwd():
        model.zero_grad()
        model(x).sum().backward()

    return fwd_bwd


def small_add():
    a = torch.rand(10)
    b = torch.rand(10)
    return lambda: a.add(b)


def conv():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 32, 32)
    w = torch.randn(6, 3, 5, 5)
    b = torch.randn(6)
    return lambda: F.conv2d(x, w, b)


def matmul():
    a = torch.rand(1024, 1024)
    b = torch.rand(1024, 1024)
    return lambda: a.matmul(b)


MAKERS = {
    "add": small_add,
    "conv": conv,
    "lenet4": lambda: lenet_step(4),
    "lenet64": lambda: lenet_step(64),
    "resnet_fwd": lambda: resnet(False),
    "resnet_fwd_bwd": lambda: resnet(True),
    "matmul": matmul,
}

_made = {}


def measure(name, seconds):
    """Seconds per iteration over about `seconds` of work (batches of calls, so the clock costs nothing)."""
    if name not in _made:
        fn = MAKERS[name]()
        for _ in range(3):
            fn()
        _made[name] = fn
    fn = _made[name]
    n = 0
    batch = 1
    t0 = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - t0
        if elapsed < seconds / 10:
            batch *= 2
    return elapsed / n, n


def serve():
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        if parts[0] == "ping":
            answer = {"torch": torch.__version__, "threads": torch.get_num_threads()}
        else:
            try:
                per, n = measure(parts[0], float(parts[1]))
                answer = {"per": per, "n": n}
            except Exception as e:  # noqa: BLE001 (reported to the other side)
                answer = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if "--once" in sys.argv:
        for name in MAKERS:
            per, n = measure(name, 1.0)
            print(f"{name:16s} {per * 1e3:10.3f} ms  ({n} runs)")
    else:
        serve()
