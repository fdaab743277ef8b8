#!/usr/bin/python3
"""Writes optimizer_reference.json: three steps of PyTorch's SGD (plain, momentum, Nesterov, L2), Adam (with and
without L2) and AdamW on the quadratic loss sum(0.5*c*theta^2 + b*theta), whose gradient is c*theta + b.

Run with Debian's python3-torch:  /usr/bin/python3 tests/Xent.Tests/Reference/make_optimizer_reference.py
"""
import json
import os

import torch

CONFIGS = [
    ("sgd", dict(lr=0.1)),
    ("sgd-momentum", dict(lr=0.1, momentum=0.9)),
    ("sgd-nesterov", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("sgd-momentum-l2", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("adam", dict(lr=0.01)),
    ("adam-l2", dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.99), eps=1e-6)),
    ("adamw", dict(lr=0.01, weight_decay=0.1)),
]


def main():
    gen = torch.Generator().manual_seed(7)
    theta0 = torch.randn(6, generator=gen, dtype=torch.float32)
    c = torch.rand(6, generator=gen, dtype=torch.float32) * 2 + 0.1
    b = torch.randn(6, generator=gen, dtype=torch.float32)
    cases = []
    for name, kwargs in CONFIGS:
        theta = torch.nn.Parameter(theta0.clone())
        if name.startswith("sgd"):
            opt = torch.optim.SGD([theta], **kwargs)
        elif name == "adamw":
            opt = torch.optim.AdamW([theta], **kwargs)
        else:
            opt = torch.optim.Adam([theta], **kwargs)
        steps = []
        for _ in range(3):
            opt.zero_grad()
            loss = (0.5 * c * theta * theta + b * theta).sum()
            loss.backward()
            opt.step()
            steps.append([float(v) for v in theta.detach()])
        cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
        cases.append({"name": name, "options": cfg, "steps": steps})
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_reference.json")
    with open(out, "w") as f:
        json.dump({"generator": "make_optimizer_reference.py", "torch": torch.__version__,
                   "theta": [float(v) for v in theta0], "c": [float(v) for v in c], "b": [float(v) for v in b],
                   "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
