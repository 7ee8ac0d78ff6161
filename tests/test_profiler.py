"""torch.profiler and torch.autograd.profiler against torch: op events named as torch's with call counts equal to the
calls, backward nodes, record_function, optimizer steps and DataLoader batches, the table's layout, schedules and
on_trace_ready, Chrome trace export; and that ops are plain again once no profiler records."""
import gzip
import json
import os
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.autograd import op_function as _function

torch = pytest.importorskip("torch")
A = np.linspace(-1, 1, 64, dtype=np.float32).reshape(8, 8)


def _model_step(lib, x, w):
    with lib.profiler.record_function("model_inference"):
        for _ in range(3):
            y = (x @ w).relu()
        loss = (y * 2 + 1).sum()
    loss.backward()


def _profiled(lib, **kwargs):
    x = lib.tensor(A)
    w = lib.tensor(A.T.copy()).requires_grad_(True)
    with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU], **kwargs) as prof:
        _model_step(lib, x, w)
    return prof


NAMES = ("model_inference", "aten::matmul", "aten::relu", "aten::mul", "aten::add", "aten::sum")


def _forward_counts(events):
    """Calls per name of the ops under model_inference (torch's backward runs ops too; ours runs arrays)."""
    counts = {}
    for e in events:
        if e.name == "model_inference" or e.cpu_parent is not None and e.cpu_parent.name == "model_inference":
            counts[e.name] = counts.get(e.name, 0) + 1
    return counts


def test_op_names_and_call_counts_equal_torchs():
    counts = [_forward_counts(_profiled(lib).events()) for lib in (torch, al)]
    assert counts[0] == counts[1] == {"model_inference": 1, "aten::matmul": 3, "aten::relu": 3, "aten::mul": 1,
                                      "aten::add": 1, "aten::sum": 1}
    averaged = {e.key: e.count for e in _profiled(al).key_averages() if e.key in NAMES}
    assert averaged == counts[1]


def test_table_layout_is_torchs():
    tables = [_profiled(lib, record_shapes=True).key_averages().table(sort_by="self_cpu_time_total", row_limit=5)
              for lib in (torch, al)]
    theirs, ours = (t.splitlines() for t in tables)
    assert ours[:3] == theirs[:3]           # rule, headers (widths included), rule
    assert len(ours) == len(theirs) == 3 + 5 + 2
    assert ours[-1].startswith("Self CPU time total: ")
    assert all(len(line) == len(theirs[1]) for line in ours[3:8])
    grouped = [_profiled(lib, record_shapes=True).key_averages(group_by_input_shape=True)
               .table(sort_by="cpu_time_total", row_limit=50) for lib in (torch, al)]
    for table in grouped:
        assert "Input Shapes" in table.splitlines()[1]
        row = next(line for line in table.splitlines() if "aten::matmul" in line)
        assert row.rstrip().endswith("[[8, 8], [8, 8]]")


def test_self_time_is_own_time_less_the_childrens():
    events = _profiled(al).events()
    outer = next(e for e in events if e.name == "model_inference")
    names = {c.name for c in outer.cpu_children}
    assert {"aten::matmul", "aten::relu", "aten::sum"} <= names
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - sum(c.cpu_time_total
                                                                                 for c in outer.cpu_children))
    assert 0 <= outer.self_cpu_time_total <= outer.cpu_time_total
    assert all(c.cpu_parent is outer for c in outer.cpu_children)
    total = events.key_averages().total_average()
    assert total.key == "Total" and total.count == len(events)


def test_backward_nodes_are_events():
    events = _profiled(al).events()
    evaluate = [e for e in events if e.name == "autograd::engine::evaluate_function: MulBackward0"]
    assert len(evaluate) == 1
    assert [c.name for c in evaluate[0].cpu_children] == ["MulBackward0"]
    theirs = {e.name for e in _profiled(torch).events()}
    assert "autograd::engine::evaluate_function: MulBackward0" in theirs and "MulBackward0" in theirs


def test_ops_without_a_graph_node_are_recorded_too(device):
    x = al.tensor(A).to(device)
    with al.profiler.profile() as prof:
        with al.no_grad():
            al.mm(x, x)
            x @ x
            x.add_(1)
            al.nn.functional.relu(x)
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts == {"aten::mm": 1, "aten::matmul": 1, "aten::add_": 1, "aten::relu": 1}


def test_optimizer_step_and_dataloader_batches():
    def run(lib):
        from importlib import import_module
        data = import_module(lib.__name__ + ".utils.data")
        model = lib.nn.Linear(4, 2)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        loader = data.DataLoader(data.TensorDataset(lib.tensor(A[:, :4].copy())), batch_size=4)
        with lib.profiler.profile() as prof:
            for (x,) in loader:
                model(x).sum().backward()
                opt.step()
        return {e.key: e.count for e in prof.key_averages()
                if e.key.startswith(("Optimizer.step", "enumerate(DataLoader)"))}
    assert run(al) == run(torch) == {"Optimizer.step#SGD.step": 2,
                                     "enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__": 3}  # + the last


def _actions(lib, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn = lib.profiler.schedule(**kwargs)
    return [fn(i).name for i in range(14)]


@pytest.mark.parametrize("kwargs", [dict(wait=1, warmup=1, active=3, repeat=1), dict(wait=0, warmup=0, active=2),
                                    dict(wait=2, warmup=1, active=1, repeat=2, skip_first=3),
                                    dict(wait=5, warmup=1, active=2, skip_first=2, skip_first_wait=1)])
def test_schedule_is_torchs(kwargs):
    assert _actions(al, **kwargs) == _actions(torch, **kwargs)


def test_schedule_errors_and_warning():
    for lib in (torch, al):
        with pytest.raises(AssertionError, match=r"Invalid profiler schedule arguments. Got wait=0 \(need >= 0\), "
                                                 r"warmup=1 \(need >= 0\), active=0 \(need > 0\)"):
            lib.profiler.schedule(wait=0, warmup=1, active=0)
        with pytest.warns(UserWarning, match="Profiler won't be using warmup"):
            lib.profiler.schedule(wait=0, warmup=0, active=1)


def _scheduled(lib, steps, **kwargs):
    ready = []
    x = lib.tensor(A)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # no warmup; events cleared at each cycle
        with lib.profiler.profile(schedule=lib.profiler.schedule(**kwargs), on_trace_ready=lambda p: ready.append(
                {e.key: e.count for e in p.key_averages() if e.key in ("aten::exp", "ProfilerStep*")})) as prof:
            for _ in range(steps):
                x.exp()
                prof.step()
    return ready


@pytest.mark.parametrize("steps,kwargs", [(7, dict(wait=1, warmup=1, active=3, repeat=1)),
                                          (9, dict(wait=1, warmup=1, active=2, repeat=2)),
                                          (5, dict(wait=0, warmup=0, active=2)),
                                          (4, dict(wait=1, warmup=1, active=3))])
def test_on_trace_ready_per_cycle_with_the_cycles_steps(steps, kwargs):
    assert _scheduled(al, steps, **kwargs) == _scheduled(torch, steps, **kwargs)


def test_acc_events_keeps_every_cycle():
    x = al.tensor(A)
    with al.profiler.profile(schedule=al.profiler.schedule(wait=0, warmup=1, active=1, repeat=3),
                             acc_events=True) as prof:
        for _ in range(7):
            x.exp()
            prof.step()
    assert [e.count for e in prof.key_averages() if e.key == "aten::exp"] == [3]


def test_tensorboard_trace_handler_writes_chrome_traces(tmp_path):
    x = al.tensor(A)
    with al.profiler.profile(schedule=al.profiler.schedule(wait=0, warmup=1, active=2, repeat=1),
                             on_trace_ready=al.profiler.tensorboard_trace_handler(str(tmp_path / "log"), "w0"),
                             record_shapes=True) as prof:
        for _ in range(4):
            x.exp()
            prof.step()
    files = os.listdir(tmp_path / "log")
    assert len(files) == 1 and files[0].startswith("w0.") and files[0].endswith(".pt.trace.json")
    doc = json.loads((tmp_path / "log" / files[0]).read_text())
    spans = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert [e["name"] for e in spans if e["name"].startswith("ProfilerStep")] == ["ProfilerStep#1", "ProfilerStep#2"]
    exp = [e for e in spans if e["name"] == "aten::exp"]
    assert len(exp) == 2 and exp[0]["args"]["Input Dims"] == [[8, 8]]
    assert all(set(e) >= {"name", "ph", "ts", "dur", "pid", "tid", "cat"} and e["dur"] >= 0 for e in spans)


def test_export_chrome_trace_and_gzip(tmp_path):
    prof = _profiled(al)
    prof.export_chrome_trace(str(tmp_path / "t.json"))
    names = {e["name"] for e in json.loads((tmp_path / "t.json").read_text())["traceEvents"]}
    assert {"model_inference", "aten::matmul", "MulBackward0"} <= names
    prof.export_chrome_trace(str(tmp_path / "t.json.gz"))
    with gzip.open(tmp_path / "t.json.gz", "rt") as f:
        assert len(json.load(f)["traceEvents"]) >= len(prof.events())


def test_memory_and_stack_columns():
    table = _profiled(al, profile_memory=True).key_averages().table(row_limit=3)
    assert table.splitlines()[1].rstrip().endswith("CPU Mem  Self CPU Mem    # of Calls")
    prof = _profiled(al, with_stack=True)
    matmul = next(e for e in prof.events() if e.name == "aten::matmul")
    assert any(__file__ in frame and "_model_step" in frame for frame in matmul.stack)
    assert "Source Location" in prof.key_averages(group_by_stack_n=2).table(row_limit=3)


def test_legacy_profiler():
    x = al.tensor(A, requires_grad=True)
    with pytest.warns(FutureWarning, match="use_cuda"):
        prof = al.autograd.profiler.profile(use_cuda=True, record_shapes=True)
    with prof:
        with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
            prof.key_averages()
        with al.autograd.profiler.record_function("block"):
            x.exp().sum().backward()
    assert {e.key for e in prof.key_averages()} >= {"block", "aten::exp", "aten::sum",
                                                    "autograd::engine::evaluate_function: ExpBackward0"}
    assert "Self CPU time total" in str(prof) and prof.self_cpu_time_total > 0
    with al.autograd.profiler.emit_nvtx(), al.autograd.profiler.emit_nvtx(record_shapes=True):
        x.exp()


def test_record_function_decorator_and_without_a_profiler():
    @al.profiler.record_function("my_fn")
    def f(t):
        return t.exp()
    f(al.tensor(A))           # nothing records: nothing happens
    with al.profiler.profile() as prof:
        f(al.tensor(A))
        f(al.tensor(A))
    events = prof.events()
    assert [e.count for e in prof.key_averages() if e.key == "my_fn"] == [2]
    assert all(e.cpu_parent.name == "my_fn" for e in events if e.name == "aten::exp")


def test_nesting_refused_and_everything_restored():
    before = dict(vars(al.Tensor)), al.mm, al.nn.functional.relu
    with al.profiler.profile():
        with pytest.raises(RuntimeError, match="Profiler is already enabled"):
            with al.autograd.profiler.profile():
                pass
        with pytest.raises(RuntimeError):
            al.mm(al.ones(2, 3), al.ones(2, 3))     # an op that raises leaves no event open
        al.ones(2).exp()
    assert (dict(vars(al.Tensor)), al.mm, al.nn.functional.relu) == before
    assert _function.Function.__dict__["apply"].__func__ is _function._plain_apply
    assert _function.op_events is None


def test_activities_and_actions():
    assert al.profiler.supported_activities() == {al.profiler.ProfilerActivity.CPU}
    for name in ("CPU", "CUDA", "XPU"):
        assert getattr(al.profiler.ProfilerActivity, name).value == getattr(torch.profiler.ProfilerActivity,
                                                                            name).value
    assert [a.name for a in al.profiler.ProfilerAction] == [a.name for a in torch.profiler.ProfilerAction]
    with al.profiler.profile(activities=[al.profiler.ProfilerActivity.CPU, al.profiler.ProfilerActivity.CUDA]) as p:
        al.ones(2).exp()
    assert [e.name for e in p.events()] == ["aten::ones", "aten::exp"] or \
        [e.name for e in p.events()] == ["aten::exp"]


def test_events_keep_no_tensor_alive_and_threads_are_apart():
    import gc
    import threading
    import weakref
    x = al.tensor(A, requires_grad=True)
    with al.profiler.profile(record_shapes=True, profile_memory=True) as prof:
        y = (x * 2).exp()
        ref = weakref.ref(y)
        y.sum().backward()
        del y
        thread = threading.Thread(target=lambda: al.ones(3).exp())
        thread.start()
        thread.join()
    gc.disable()
    try:
        assert ref() is None
    finally:
        gc.enable()
    exp = [e for e in prof.events() if e.name == "aten::exp"]
    assert len(exp) == 2 and exp[0].thread != exp[1].thread
    assert exp[0].self_cpu_memory_usage == 8 * 8 * 4
