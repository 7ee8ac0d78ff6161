"""Every case of benchmarks/run.py as a pytest-benchmark test, one per (case, implementation):

    pytest benchmarks/ --benchmark-only --benchmark-group-by=param:case
    pytest benchmarks/ --benchmark-only -k "training and autograd_lite"

Quick sizes only (the 16M-element and 2048-square cases are run.py's); implementations whose
library is missing (torch) are skipped. Timing only: nothing here asserts a speed."""
import pytest

import cases_kernels
import cases_overhead
import cases_training

CASES = [c for m in (cases_kernels, cases_training, cases_overhead) for c in m.cases(quick=True)]
PARAMS = [pytest.param(c, impl, id=f"{c.section}-{c.name}-{c.size}-{impl}".replace(" ", "_"))
          for c in CASES for impl in c.impls]


@pytest.mark.parametrize("case,impl", PARAMS)
def test_case(benchmark, case, impl):
    try:
        step = case.impls[impl]()
    except ImportError as e:
        pytest.skip(f"{impl}: {e}")
    benchmark.group = f"{case.section}: {case.name} [{case.size}]"
    benchmark.extra_info.update(unit=case.unit, work=case.work)
    benchmark(step)
