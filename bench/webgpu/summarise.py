"""Pairs the RESULT lines of bench/webgpu/bench.ts (webgpu, cpu) and bench/webgpu/bench.py (cuda)
into ratios, as the README's CPU bench reports them: PyTorch's time over ours (1.0x is parity,
0.5x half PyTorch's speed). Standard library only (runs wherever python3 does).

    python3 bench/webgpu/summarise.py webgpu.txt cuda.txt [--ours webgpu] [--theirs cuda]

Prints one `RATIO <workload> ...` line per workload present on both sides, then a Markdown
table (our cpu device as a last column when its lines are there).
"""
import argparse
import re

NAMES = {"lenet_b64_train": "LeNet train step, batch 64"}


def describe(workload):
    if workload in NAMES:
        return NAMES[workload]
    m = re.fullmatch(r"resnet18_fwd_bwd_(\d+)x(\d+)x(\d+)x(\d+)", workload)
    if m:
        return f"resnet18 forward+backward, {'×'.join(m.groups())}"
    return workload


def seconds_per_iteration(value, unit):
    return 1 / value if unit == "steps/s" else value / 1000


def show(value, unit):
    digits = 0 if value >= 100 else 1 if value >= 10 else 2 if value >= 0.1 else 4
    return f"{value:.{digits}f} {unit}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--ours", default="webgpu")
    p.add_argument("--theirs", default="cuda")
    args = p.parse_args()
    results = {}  # (device, workload) -> (value, unit)
    order = []
    notes = []
    for path in args.files:
        try:
            text = open(path, encoding="utf-8").read()
        except OSError as e:
            notes.append(f"{path}: {e.strerror}")
            continue
        for line in text.splitlines():
            parts = line.split()
            if parts[:1] == ["RESULT"] and len(parts) == 5:
                _, device, workload, value, unit = parts
                results[(device, workload)] = (float(value), unit)
                if workload not in order:
                    order.append(workload)
            elif parts[:1] in (["ADAPTER"], ["DEVICE"], ["FAIL"], ["SKIP"]):
                notes.append(line.strip())
    rows = []
    for w in order:
        ours = results.get((args.ours, w))
        theirs = results.get((args.theirs, w))
        cpu = results.get(("cpu", w))
        ratio = None
        if ours and theirs:
            ratio = seconds_per_iteration(*theirs) / seconds_per_iteration(*ours)
            print(
                f"RATIO {w} {args.ours}={ours[0]:g} {ours[1]} {args.theirs}={theirs[0]:g} {theirs[1]} "
                f"ratio={ratio:.4f}"
            )
        rows.append((w, ours, theirs, ratio, cpu))
    for n in notes:
        print(f"# {n}")
    with_cpu = any(r[4] for r in rows) and args.ours != "cpu"
    print()
    head = f"| work | denotorch {args.ours} | PyTorch {args.theirs} | ratio ({args.theirs} time / ours) |"
    rule = "| --- | --- | --- | --- |"
    if with_cpu:
        head += " denotorch cpu (wasm) |"
        rule += " --- |"
    print(head)
    print(rule)
    for w, ours, theirs, ratio, cpu in rows:
        cells = [
            describe(w),
            show(*ours) if ours else "",
            show(*theirs) if theirs else "",
            "" if ratio is None else (f"{ratio:.2g}×" if ratio < 0.1 else f"{ratio:.2f}×"),
        ]
        if with_cpu:
            cells.append(show(*cpu) if cpu else "")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
