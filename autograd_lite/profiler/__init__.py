"""``torch.profiler``: `profile` with activities, a `schedule` of wait / warmup / active steps, `on_trace_ready`
(`tensorboard_trace_handler`), `record_function`, and the events' summaries (``key_averages().table()``, Chrome trace
export), recorded by autograd_lite.autograd.profiler. CPU activity only: ops on a CUDA device are timed on the host.

Example::

    from autograd_lite.profiler import profile, schedule, ProfilerActivity, tensorboard_trace_handler
    with profile(activities=[ProfilerActivity.CPU], schedule=schedule(wait=1, warmup=1, active=3),
                 on_trace_ready=tensorboard_trace_handler("./log")) as prof:
        for x, y in loader:
            train_step(x, y)
            prof.step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
"""
import enum
import os
import socket
import time
import warnings

from ..autograd import profiler as _legacy
from ..autograd.profiler import record_function, EventList, FunctionEvent
from . import _ops

_ops.install()      # while a profiler records, calls of the declared ops are events

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler", "ProfilerAction",
           "ProfilerActivity", "kineto_available", "record_function", "EventList", "FunctionEvent"]


class ProfilerActivity(enum.Enum):
    """What a profiler records: CPU (ops, backward nodes, annotations); CUDA is accepted, its kernels are not
    recorded apart (supported_activities() says which are)."""
    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What the profiler does at a step, as a schedule returns it."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities():
    """The activities this build can record: ``{ProfilerActivity.CPU}``."""
    return {ProfilerActivity.CPU}


def kineto_available():
    return True


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """The profiler's plan per step: skip `skip_first` steps, then cycles of `wait` idle steps, `warmup` steps and
    `active` recorded steps (the last of which hands the trace to on_trace_ready), `repeat` times (0: forever).

    Example: ``schedule(wait=1, warmup=1, active=3, repeat=1)(4)`` is ``ProfilerAction.RECORD_AND_SAVE``."""
    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod_step < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
                             f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
                             f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    return schedule_fn


def _default_schedule(_):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False, use_python_export=False):
    """An on_trace_ready that writes each trace to `dir_name` as ``{worker_name}.{time_ns}.pt.trace.json`` (``.gz``
    with use_gzip), the files TensorBoard's profiler plugin reads.

    Example: ``profile(schedule=..., on_trace_ready=tensorboard_trace_handler("./log/run1"))``"""
    def handler_fn(prof):
        nonlocal worker_name
        if not os.path.isdir(dir_name):
            try:
                os.makedirs(dir_name, exist_ok=True)
            except Exception as e:
                raise RuntimeError("Can't create directory: " + dir_name) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        file_name = f"{worker_name}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, file_name))
    return handler_fn


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)
_warned = set()


def _warn_once(message):
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, stacklevel=4)


class profile:
    """Profiles the ops, backward passes, optimizer steps and record_function blocks run within the context. With a
    `schedule`, ``prof.step()`` marks each step (a ``ProfilerStep#N`` event) and only the active steps are recorded;
    at the end of each active cycle (and at exit while recording), ``on_trace_ready(prof)`` runs.

    Example::

        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
            model(x)
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="cpu_time_total", row_limit=10))
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None):
        chosen = set(activities) if activities is not None else supported_activities()
        if use_cuda is not None:
            warnings.warn("`use_cuda` is deprecated, use `activities` argument instead", FutureWarning, stacklevel=2)
            if use_cuda:
                chosen.add(ProfilerActivity.CUDA)
            else:
                chosen.discard(ProfilerActivity.CUDA)
        if not chosen:
            raise AssertionError("No valid profiler activities found")
        self.activities = chosen
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.with_flops, self.with_modules = with_flops, with_modules
        self.record_steps = schedule is not None
        self.schedule = schedule or _default_schedule
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.profiler = None        # the legacy profiler of the current (or last) recorded cycle
        self.acc_events = acc_events
        self._earlier = []          # with acc_events: the events of the cycles before it
        self._step_event = None
        self._metadata = {}

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self._transit(ProfilerAction.NONE, self.current_action)
        self._enter_step()

    def stop(self):
        self._exit_step()
        self._transit(self.current_action, None)

    def step(self):
        """Marks the start of the next step: the schedule decides whether it is recorded."""
        self._exit_step()
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        self._transit(prev, self.current_action)
        self._enter_step()

    def _enter_step(self):
        if self.record_steps:
            self._step_event = record_function("ProfilerStep#" + str(self.step_num))
            self._step_event.__enter__()

    def _exit_step(self):
        if self._step_event is not None:
            self._step_event.__exit__(None, None, None)
            self._step_event = None

    def _transit(self, prev, cur):
        was, now = prev in _RECORDING, cur in _RECORDING
        if was and (not now or prev is ProfilerAction.RECORD_AND_SAVE):     # a recorded cycle ends
            if prev is ProfilerAction.RECORD and cur is not None:
                warnings.warn("Incorrect schedule: RECORD followed by " + str(cur), stacklevel=3)
            self.profiler._stop_trace()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        if now and (not was or prev is ProfilerAction.RECORD_AND_SAVE):     # one starts
            if self.profiler is not None:
                if self.acc_events:
                    self._earlier += self.profiler.function_events
                else:
                    _warn_once("Warning: Profiler clears events at the end of each cycle. Only events from the "
                               "current cycle will be reported. To keep events across cycles, set acc_events=True.")
            self.profiler = _legacy.profile(record_shapes=self.record_shapes, profile_memory=self.profile_memory,
                                            with_stack=self.with_stack, with_flops=self.with_flops,
                                            with_modules=self.with_modules)
            self.profiler.entered = True
            self.profiler._start_trace()

    def events(self):
        """Every event of the last recorded cycle (of every cycle with acc_events): an EventList of FunctionEvent."""
        if self.profiler is None:
            raise AssertionError("Profiler has not been started: nothing was recorded (check the schedule)")
        events = self.profiler.function_events
        return EventList(self._earlier + events, profile_memory=self.profile_memory) if self._earlier else events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """The recorded events averaged per name (and input shapes / top stack frames when asked)."""
        return self.events().key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def export_chrome_trace(self, path):
        """Writes the recorded events as Chrome trace JSON (chrome://tracing, Perfetto, TensorBoard)."""
        return _legacy._write_trace(self.events(), path, self._metadata)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        return self.events().export_stacks(path, metric)

    def add_metadata(self, key, value):
        """A (key, string value) pair written into the exported trace."""
        self._metadata[key] = value

    def add_metadata_json(self, key, value):
        import json
        self._metadata[key] = json.loads(value)

    def export_memory_timeline(self, path, device=None):
        raise NotImplementedError("export_memory_timeline: the memory timeline is not recorded by this profiler")
