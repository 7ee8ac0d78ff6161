"""pytest-benchmark suites over the same cases as benchmarks/run.py:

    pytest benchmarks/ --benchmark-only [-k training] [--benchmark-group-by=param:case]

The benchmarks folder goes on sys.path so the case modules import as in run.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
