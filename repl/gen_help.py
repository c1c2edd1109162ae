"""Reads a JSON list of names ("torch.cat", "Tensor.sum", "nn.Linear", "F.relu",
"optim.SGD") on stdin; writes {name: PyTorch's docstring} as JSON on stdout.
Run by gen_help.ts with /usr/bin/python3 (Debian's python3-torch)."""
import inspect
import json
import re
import sys

import torch

ROOTS = {"torch": torch, "Tensor": torch.Tensor, "nn": torch.nn,
         "F": torch.nn.functional, "optim": torch.optim}
LIMIT = 3000


def clean(d):
    """reST roles and markup to plain text."""
    d = re.sub(r":(?:func|meth|class|attr|mod|obj|data|ref|math):`([^`]*)`",
               lambda m: re.sub(r"\s*<[^>]*>$", "", m.group(1)).lstrip("~"), d)
    d = d.replace("``", "`")
    # LaTeX in :math: to plain text
    for _ in range(3):
        d = re.sub(r"\\(?:text|mathcal|mathbf|mathrm|operatorname|textbf)\{([^{}]*)\}", r"\1", d)
        d = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", d)
        d = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", d)
    for a, b in (("\\_", "_"), ("\\times", "×"), ("\\cdot", "·"), ("\\left", ""), ("\\right", ""),
                 ("\\exp", "exp"), ("\\log", "log"), ("\\sum", "Σ"), ("\\max", "max"), ("\\min", "min"),
                 ("\\geq", "≥"), ("\\leq", "≤"), ("\\neq", "≠"), ("\\infty", "∞"), ("\\ldots", "…"),
                 ("\\lfloor", "⌊"), ("\\rfloor", "⌋"), ("\\sigma", "σ"), ("\\epsilon", "ε"),
                 ("\\gamma", "γ"), ("\\beta", "β"), ("\\mu", "μ"), ("\\quad", " ")):
        d = d.replace(a, b)
    d = re.sub(r"::\n", ":\n", d)
    d = re.sub(r"(^|\n)\.\. (note|warning)::",
               lambda m: m.group(1) + m.group(2).capitalize() + ":", d)
    return d


def main():
    out = {}
    for name in json.load(sys.stdin):
        root, *path = name.split(".")
        o = ROOTS[root]
        try:
            for p in path:
                o = getattr(o, p)
        except AttributeError:
            continue
        d = inspect.getdoc(o)
        if not d:
            continue
        if inspect.isclass(o) and path:
            try:
                d = f"{path[-1]}{inspect.signature(o)}".replace(" -> None", "") + "\n\n" + d
            except (TypeError, ValueError):
                pass
        d = clean(d)
        if len(d) > LIMIT:
            d = d[:LIMIT].rsplit("\n", 1)[0] + "\n[…]"
        out[name] = d
    json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=True)


main()
