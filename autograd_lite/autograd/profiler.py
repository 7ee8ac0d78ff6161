"""``torch.autograd.profiler``: the legacy profiler (`profile`), `record_function`, `emit_nvtx`, and the events they
give (`FunctionEvent`, `EventList` with torch's ``key_averages().table()`` and Chrome trace export). torch.profiler
(autograd_lite.profiler) runs its cycles through this one.

While a profiler records, every op is an event (``aten::`` and the op's name), every node of a backward one
(``autograd::engine::evaluate_function: MulBackward0`` around ``MulBackward0``), and so are record_function blocks,
optimizer steps and DataLoader batches. Times are wall-clock microseconds; self time is an event's time less its
children's. While no profiler records, ops pay nothing (Function.apply is swapped only while one does).

Example::

    with torch.autograd.profiler.profile(record_shapes=True) as prof:
        with torch.autograd.profiler.record_function("forward"):
            loss = model(x).sum()
        loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
"""
import contextlib
import functools
import gzip
import json
import os
import re
import sys
import threading
import time
import warnings
from time import perf_counter_ns

from . import op_function as _function
from .op_function import TensorBase

__all__ = ["profile", "record_function", "emit_nvtx", "emit_itt", "EventList", "FunctionEvent", "FunctionEventAvg"]

_current = None     # the _Trace recording now (one at a time, over all threads)
_lock = threading.Lock()


def _recording():
    """Whether a profiler records now (the optimizer's step and the DataLoader's batches check it)."""
    return _current is not None


# ---- recording -------------------------------------------------------------------------------------------------

_OP_NAMES = {}          # Function class -> its event name
_RENAMED = {"cross_entropy": "cross_entropy_loss", "log_sum_exp": "logsumexp", "t": "t", "index_advanced": "index",
            "where": "where", "masked_fill": "masked_fill", "batch_norm": "batch_norm", "contiguous": "contiguous"}
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _op_name(cls):
    name = _OP_NAMES.get(cls)
    if name is None:
        base = getattr(cls, "op_name", None) or re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()
        name = _OP_NAMES[cls] = "aten::" + _RENAMED.get(base, base).replace(".", "_")
    return name


def _user_stack():
    """The caller's frames outside autograd_lite, innermost first, as torch writes them: ``file.py(12): fn``."""
    out, frame = [], sys._getframe(3)
    while frame is not None:
        path = frame.f_code.co_filename
        if not path.startswith(_PACKAGE):
            out.append(f"{path}({frame.f_lineno}): {frame.f_code.co_name}")
        frame = frame.f_back
    return out


class _Trace:
    """The events of one recording. An event while recording: [name, category, start ns, end ns, thread, input
    shapes, parent event, stack, bytes of its output, whether it is a declared op's call]."""

    def __init__(self, record_shapes, with_stack, profile_memory):
        self.record_shapes, self.with_stack, self.profile_memory = record_shapes, with_stack, profile_memory
        self.events = []
        self.local = threading.local()
        self.start_ns = perf_counter_ns()
        self.epoch_us = time.time_ns() / 1000.0
        self.end_ns = None

    def begin(self, name, category="user_annotation", shapes=None, declared=False):
        local = self.local
        stack = getattr(local, "stack", None)
        if stack is None:
            stack = local.stack = []
            local.tid = threading.get_native_id()
        event = [name, category, 0, None, local.tid, shapes, stack[-1] if stack else None,
                 _user_stack() if self.with_stack else None, 0, declared]
        self.events.append(event)
        stack.append(event)
        event[2] = perf_counter_ns()
        return event

    def end(self, event):
        if event is None:
            return
        event[3] = perf_counter_ns()
        stack = self.local.stack
        while stack:                # events an exception left open close with it
            if stack.pop() is event:
                break

    def op(self, cls, args):
        """Function.apply's event, None inside a declared op's (the Function is that op's implementation)."""
        stack = getattr(self.local, "stack", None)
        if stack and stack[-1][9]:
            return None
        return self.begin(_op_name(cls), "cpu_op", self._shapes(args))

    def declared_op(self, name, args):
        """The event of a call of a declared op (autograd_lite.profiler swaps them in while recording)."""
        return self.begin(name, "cpu_op", self._shapes(args), True)

    def _shapes(self, args):
        if not self.record_shapes:
            return None
        return [list(a._data.shape) if isinstance(a, TensorBase) else [] for a in args]

    def end_op(self, event, out):
        if event is None:
            return
        self.end(event)
        if self.profile_memory and isinstance(out, TensorBase):
            event[8] = out._data.nbytes

    def begin_node(self, node):
        name = node.name()
        return self.begin("autograd::engine::evaluate_function: " + name, "cpu_op"), self.begin(name, "cpu_op")

    def end_node(self, events):
        self.end(events[1])
        self.end(events[0])

    def finish(self):
        """The events as FunctionEvents, in start order, with parents, children and self times."""
        end = self.end_ns = perf_counter_ns()
        made = {}
        out = EventList()
        for i, (name, category, start, stop, tid, shapes, parent, stack, nbytes, _) in enumerate(self.events):
            e = FunctionEvent(i + 1, "ProfilerStep*" if name.startswith("ProfilerStep#") else name, tid,
                              self._us(start), self._us(end if stop is None else stop), shapes or [], stack or [],
                              category, nbytes, trace_name=name)     # the steps summed in tables, apart in traces
            made[id(self.events[i])] = e
            if parent is not None:
                p = made[id(parent)]
                e.cpu_parent = p
                p.cpu_children.append(e)
            out.append(e)
        out.sort(key=lambda e: (e.time_range.start, -e.time_range.end))
        return out

    def _us(self, ns):
        return self.epoch_us + (ns - self.start_ns) / 1000.0


# (start(), stop()) pairs run as a recording starts and stops: autograd_lite.profiler swaps the declared ops for
# recording wrappers there (autograd names nothing above it)
RECORDING_HOOKS = []


def _start(trace):
    global _current
    with _lock:
        if _current is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        _current = trace
        _function.op_events = trace
        _function.observe(1)
        for start, _ in RECORDING_HOOKS:
            start()


def _stop(trace):
    global _current
    with _lock:
        if _current is trace:
            _current = None
            _function.op_events = None
            _function.observe(-1)
            for _, stop in RECORDING_HOOKS:
                stop()
    return trace.finish()


# ---- events ----------------------------------------------------------------------------------------------------

class Interval:
    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_us):
    if total_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_us:.2f}%"


def _format_memory(nbytes):
    for unit, size in (("Gb", 1024 ** 3), ("Mb", 1024 ** 2), ("Kb", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} b"


class _Stats:
    """What FunctionEvent and FunctionEventAvg share: torch's attribute names, device columns empty (CPU only)."""
    node_id = -1
    is_async = is_remote = is_legacy = False
    use_device = None
    device_type = "CPU"
    overload_name = ""
    flops = 0
    device_time_total = self_device_time_total = device_memory_usage = self_device_memory_usage = 0
    cuda_time_total = self_cuda_time_total = cuda_memory_usage = self_cuda_memory_usage = 0

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0

    cuda_time = device_time

    @property
    def cpu_time_str(self):
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return _format_time(self.self_cpu_time_total)

    @property
    def device_time_str(self):
        return _format_time(0)

    device_time_total_str = self_device_time_total_str = device_time_str


class FunctionEvent(_Stats):
    """One recorded call: ``name``, ``time_range`` (microseconds), ``cpu_time_total``, ``self_cpu_time_total``,
    ``input_shapes``, ``cpu_parent``, ``cpu_children``, ``thread``, ``stack``.

    Example: ``[e.name for e in prof.events() if e.cpu_parent is None]``"""
    count = 1

    def __init__(self, id, name, thread, start_us, end_us, input_shapes=(), stack=(), category="cpu_op",
                 nbytes=0, trace_name=None):
        self.id, self.name, self.thread = id, name, thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes, self.stack = list(input_shapes), list(stack)
        self.category = category
        self.is_user_annotation = category == "user_annotation"
        self.cpu_children, self.cpu_parent = [], None
        self._nbytes = nbytes
        self.sequence_nr, self.fwd_thread, self.scope = -1, 0, 0
        self.kernels, self.trace_name = [], trace_name or name

    key = property(lambda self: self.name)

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_memory_usage(self):
        return self._nbytes + sum(c.cpu_memory_usage for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self._nbytes

    def append_cpu_child(self, child):
        self.cpu_children.append(child)

    def set_cpu_parent(self, parent):
        self.cpu_parent = parent

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_str} "
                f"start_us={self.time_range.start:.3f} end_us={self.time_range.end:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} input_shapes={self.input_shapes} "
                f"thread={self.thread}>")


class FunctionEventAvg(_Stats):
    """Events of one key (name, and input shapes or stack when grouped by them) summed: ``key``, ``count``,
    ``cpu_time_total``, ``self_cpu_time_total``, ``cpu_time`` (the average)."""

    def __init__(self):
        self.key, self.count = None, 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.input_shapes, self.stack = None, None
        self.cpu_children, self.cpu_parent = None, None
        self.is_user_annotation = False

    def add(self, other):
        if self.key is None:
            self.key, self.input_shapes, self.stack = other.key, other.input_shapes, other.stack
            self.is_user_annotation = other.is_user_annotation
            self.cpu_parent = getattr(other, "cpu_parent", None)
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        return self

    __iadd__ = add

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of events with torch's summaries: ``table()``, ``key_averages()``, ``total_average()``,
    ``export_chrome_trace(path)``, ``self_cpu_time_total``."""

    def __init__(self, *args, use_device=None, profile_memory=False, with_flops=False):
        super().__init__(*args)
        self._use_device, self._profile_memory = use_device, profile_memory

    def __str__(self):
        return self.table()

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """The events as torch prints them: one row each (sorted by the attribute `sort_by`, descending), columns
        Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, (CPU Mem, Self CPU Mem with
        profile_memory), # of Calls, and Input Shapes / Source Location where recorded."""
        return _build_table(self, sort_by, row_limit, max_src_column_width, max_name_column_width,
                            max_shapes_column_width, header, top_level_events_only, time_unit, self._profile_memory)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        """One FunctionEventAvg per name (and per input shapes, per the top `group_by_stack_n` frames when asked),
        in order of first appearance."""
        groups = {}
        for e in self:
            key = (e.key, str(e.input_shapes) if group_by_input_shapes else None,
                   tuple(e.stack[:group_by_stack_n]) if group_by_stack_n else None)
            groups.setdefault(key, FunctionEventAvg()).add(e)
        out = EventList(groups.values(), use_device=self._use_device, profile_memory=self._profile_memory)
        for avg in out:
            avg.stack = avg.stack[:group_by_stack_n] if avg.stack else []
            if not group_by_input_shapes:
                avg.input_shapes = ""
        return out

    def total_average(self):
        total = FunctionEventAvg()
        for e in self:
            total.add(e)
            total.key = None
        total.key = "Total"
        return total

    def export_chrome_trace(self, path):
        """Writes the events as Chrome trace JSON (chrome://tracing, Perfetto, TensorBoard); gzip when the path
        ends in .gz."""
        _write_trace(self, path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Writes ``frame;frame;...;name value`` lines (flame graph input) for the events recorded with_stack."""
        with open(path, "w") as f:
            for e in self:
                if e.stack:
                    frames = ";".join(reversed([re.sub(r"\s+", "_", s) for s in e.stack]))
                    f.write(f"{frames};{e.name} {int(getattr(e, metric))}\n")


def _write_trace(events, path, metadata=None):
    pid = os.getpid()
    trace = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": "python"}}]
    for tid in sorted({e.thread for e in events}):
        trace.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                      "args": {"name": f"thread {tid} (python)"}})
    for e in events:
        args = {"External id": e.id}
        if e.input_shapes:
            args["Input Dims"] = e.input_shapes
        trace.append({"ph": "X", "cat": e.category, "name": e.trace_name, "pid": pid, "tid": e.thread,
                      "ts": e.time_range.start, "dur": e.cpu_time_total, "args": args})
    doc = {"schemaVersion": 1, "deviceProperties": [], **(metadata or {}), "displayTimeUnit": "ms",
           "traceEvents": trace, "traceName": path}
    text = json.dumps(doc)
    if path.endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        with open(path, "w") as f:
            f.write(text)
    return path


def _build_table(events, sort_by, row_limit, max_src_width, max_name_width, max_shapes_width, header,
                 top_level_only, time_unit, profile_memory):
    if len(events) == 0:
        return ""
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    has_shapes = any(e.input_shapes for e in events)
    stacks = [e.stack for e in events if e.stack]
    name_width = min(max(len(e.key) for e in events) + 4, max_name_width or 10 ** 9)
    shapes_width = min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes_width or 10 ** 9)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [12] * (len(headers) - 1)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
    src_width = None
    if stacks:
        src_width = min(max(len(s) for st in stacks for s in st) + 4, max_src_width or 10 ** 9)
        headers.append("Source Location")
        widths.append(src_width)
    row = "".join("{: " + ("<" if stacks and i == len(widths) - 1 else ">") + str(w) + "}  "
                  for i, w in enumerate(widths))
    sep = "".join("-" * w + "  " for w in widths)
    line_length = sum(widths) + 2 * len(widths) - 2

    def fmt(us):
        return {"s": f"{us / 1e6:.3f}s", "ms": f"{us / 1e3:.3f}ms", "us": f"{us:.3f}us"}.get(time_unit) \
            or _format_time(us)

    def trim(path):
        if len(path) > src_width:
            path = path[len(path) - src_width:]
            path = "..." + path[3:] if len(path) > 3 else path
        return path

    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [sep, row.format(*headers), sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key if max_name_width is None or len(e.key) < max_name_width - 3 else \
            e.key[:max_name_width - 3] + "..."
        values = [name, _format_time_share(e.self_cpu_time_total, total), fmt(e.self_cpu_time_total),
                  _format_time_share(e.cpu_time_total, total), fmt(e.cpu_time_total), fmt(e.cpu_time)]
        if profile_memory:
            values += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        values.append(e.count)
        if has_shapes:
            values.append(str(e.input_shapes)[:shapes_width])
        if stacks:
            values.append(trim(e.stack[0]) if e.stack else "")
        lines.append(row.format(*values))
        if stacks:
            blank = [""] * (len(headers) - 1)
            lines += [row.format(*blank, trim(s)) for s in (e.stack or [])[1:]]
            lines.append(row.format(*blank, ""))
    lines += [sep, f"Self CPU time total: {fmt(total)}"]
    return "\n".join(lines) + "\n"


# ---- the context managers --------------------------------------------------------------------------------------

class profile:
    """The legacy profiler: records every op, backward node and record_function block while the context is open.

    Example::

        with torch.autograd.profiler.profile(record_shapes=True) as prof:
            y = x @ w
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total"))
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        self.use_cuda = use_cuda
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use ``use_device = 'cuda'`` "
                          "instead.", FutureWarning, stacklevel=2)
            use_device = "cuda"
        if use_device is not None and use_device not in ("cuda", "xpu", "mtia", "hpu"):
            warnings.warn(f"The {use_device} is not a valid device option.", stacklevel=2)
            use_device = None
        self.use_device = use_device
        self.record_shapes = record_shapes or with_flops
        self.with_flops, self.profile_memory, self.with_stack = with_flops, profile_memory, with_stack
        self.with_modules, self.use_cpu = with_modules, use_cpu
        self.entered = False
        self._trace = None
        self._function_events = None

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        self._start_trace()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self._stop_trace()

    def _start_trace(self):
        trace = _Trace(self.record_shapes, self.with_stack, self.profile_memory)
        _start(trace)
        self._trace = trace

    def _stop_trace(self):
        if self._trace is not None:
            events = _stop(self._trace)
            self._function_events = EventList(events, use_device=self.use_device, profile_memory=self.profile_memory)
            self._trace = None

    @property
    def function_events(self):
        self._check_finish()
        return self._function_events

    def _check_finish(self):
        if self._function_events is None:
            if self._trace is not None:
                raise RuntimeError("Profiler didn't finish running")
            self._function_events = EventList(profile_memory=self.profile_memory)

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        return self.function_events.table(sort_by, row_limit, max_src_column_width, max_name_column_width,
                                          max_shapes_column_width, header, top_level_events_only, time_unit)

    table.__doc__ = EventList.table.__doc__

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """The events averaged per name (and input shapes / stack when asked): an EventList of FunctionEventAvg."""
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def total_average(self):
        return self.function_events.total_average()

    def export_chrome_trace(self, path):
        """Writes the events as Chrome trace JSON."""
        return _write_trace(self.function_events, path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        return self.function_events.export_stacks(path, metric)

    @property
    def self_cpu_time_total(self):
        return self.function_events.self_cpu_time_total

    def __repr__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return repr(self._function_events)

    def __str__(self):
        if self._function_events is None:
            return "<unfinished torch.autograd.profile>"
        return str(self._function_events)


class record_function:
    """Labels a block (context manager) or every call of a function (decorator) as one event of the profiler
    recording, with the ops inside as its children; nothing while none records.

    Example::

        with torch.profiler.record_function("attention"):
            y = softmax(q @ k.T) @ v
    """

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._event = None

    def __enter__(self):
        trace = _current
        self._event = (trace, trace.begin(self.name)) if trace is not None else None
        return self

    def __exit__(self, *exc):
        if self._event is not None:
            trace, event = self._event
            trace.end(event)
            self._event = None

    def __call__(self, fn):
        name = self.name

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with record_function(name):
                return fn(*args, **kwargs)
        return wrapped


class emit_nvtx(contextlib.ContextDecorator):
    """NVTX ranges for nvprof / Nsight: there is no NVTX here, so the context does nothing (PyTorch's own does
    nothing without CUDA's profiler running either)."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled, self.record_shapes = enabled, record_shapes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


class emit_itt(emit_nvtx):
    """Intel ITT ranges for VTune: a context that does nothing here."""
