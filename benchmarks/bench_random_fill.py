"""Random fills and model construction, autograd_lite against torch in the same process (RESULTS.md, Random fills).

    python benchmarks/bench_random_fill.py fills      # Tensor.normal_ / uniform_ on 25088x4096 float32, ns per value
    python benchmarks/bench_random_fill.py models     # vgg16(), resnet50(), densenet121() build times

fills: at 1 and 2 threads (both libraries' set_num_threads), medians of single calls alternated between the two;
wall time and user CPU time (steadier on a shared machine; at 2 threads it counts both threads).
models: our vision.models builders against the same architectures in torch.nn (tests/test_vision_models.py's
REFERENCES: torchvision does not install beside the CPU torch) with torchvision's init loops applied, medians.
"""
import argparse
import gc
import os
import resource
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))


def _medians(fns, repeat):
    """Medians of single calls of each of fns, alternated `repeat` times after one warm-up call each: (wall, user
    CPU, system CPU) seconds per fn. On a shared machine a 1-thread run's user CPU is the steadier figure; system
    CPU is mostly page faults on fresh memory (transparent huge pages: zeroing, compaction)."""
    for f in fns:
        f()
    times = [([], [], []) for _ in fns]
    for _ in range(repeat):
        for f, (wall, user, system) in zip(fns, times):
            gc.collect()
            r, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            f()
            wall.append(time.perf_counter() - t)
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            user.append(r1.ru_utime - r.ru_utime)
            system.append(r1.ru_stime - r.ru_stime)
    return [tuple(float(np.median(x)) for x in ts) for ts in times]


def fills(shape, repeat):
    import torch

    import autograd_lite as al
    n = int(np.prod(shape))
    ours, theirs = al.empty(*shape), torch.empty(*shape)
    print(f"Tensor fills on {'x'.join(map(str, shape))} float32, ns per value (median of {repeat})")
    print("| fill | threads | autograd_lite | torch | x torch | user CPU: autograd_lite | torch | x torch |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for threads in (1, 2):
        al.set_num_threads(threads)
        torch.set_num_threads(threads)
        for name, a, b in (("normal_(0, 0.01)", lambda: ours.normal_(0, 0.01), lambda: theirs.normal_(0, 0.01)),
                           ("uniform_(-b, b)", lambda: ours.uniform_(-0.01, 0.01),
                            lambda: theirs.uniform_(-0.01, 0.01))):
            (ta, ca, _), (tb, cb, _) = _medians([a, b], repeat)
            print(f"| {name} | {threads} | {ta / n * 1e9:.2f} | {tb / n * 1e9:.2f} | {tb / ta:.2f} "
                  f"| {ca / n * 1e9:.2f} | {cb / n * 1e9:.2f} | {cb / ca:.2f} |")


def _torchvision_init(name, model):
    """torchvision's init loops, on the torch.nn references (which leave torch.nn's layer defaults)."""
    import torch.nn as tnn
    for m in model.modules():
        if isinstance(m, tnn.Conv2d):
            if name.startswith("densenet"):
                tnn.init.kaiming_normal_(m.weight)
            else:
                tnn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                tnn.init.constant_(m.bias, 0)
        elif isinstance(m, tnn.BatchNorm2d):
            tnn.init.constant_(m.weight, 1)
            tnn.init.constant_(m.bias, 0)
        elif isinstance(m, tnn.Linear):
            if name.startswith("vgg"):
                tnn.init.normal_(m.weight, 0, 0.01)
            tnn.init.constant_(m.bias, 0)
    return model


def models(names, repeat, threads):
    import torch
    sys.path.insert(0, os.path.join(HERE, "..", "tests"))
    from test_vision_models import REFERENCES

    import autograd_lite as al
    from autograd_lite.vision import models as al_models
    al.set_num_threads(threads)
    torch.set_num_threads(threads)
    print(f"Model construction at {threads} thread(s), seconds (median of {repeat})")
    print("| model | autograd_lite | torch | x torch | user CPU: autograd_lite | torch | x torch | system CPU: "
          "autograd_lite | torch |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name in names:
        (ta, ca, sa), (tb, cb, sb) = _medians([lambda: getattr(al_models, name)(),
                                               lambda: _torchvision_init(name, REFERENCES[name]())], repeat)
        print(f"| {name}() | {ta:.3f} | {tb:.3f} | {tb / ta:.2f} | {ca:.3f} | {cb:.3f} | {cb / ca:.2f} | {sa:.3f} "
              f"| {sb:.3f} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("fills", "models"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="models: the threads both libraries use")
    p.add_argument("--models", default="vgg16,resnet50,densenet121")
    args = p.parse_args()
    if args.what == "fills":
        fills((25088, 4096), args.repeat)
    else:
        models(args.models.split(","), args.repeat, args.threads)


if __name__ == "__main__":
    main()
