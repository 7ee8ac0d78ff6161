"""Every case benchmarks/run.py times builds and runs: each implementation's step once, at the quick sizes (a
broken case would otherwise surface only when someone runs the benchmarks). Nothing is timed."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
import cases_kernels  # noqa: E402
import cases_overhead  # noqa: E402
import cases_training  # noqa: E402

CASES = [c for m in (cases_kernels, cases_training, cases_overhead) for c in m.cases(quick=True)
         if not c.size.startswith("1M")]          # one size per kernel is enough to build and run it


@pytest.mark.parametrize("case", CASES, ids=[f"{c.section}-{c.name}-{c.size}" for c in CASES])
def test_every_implementation_runs(case):
    ran = []
    for name, factory in case.impls.items():
        try:
            step = factory()
        except ImportError:                          # torch absent: the harness leaves it out too
            continue
        step()
        ran.append(name)
    assert "autograd_lite" in ran and len(ran) >= 2, ran
