"""autograd_lite.jit: script and trace give back what they are given, which runs as before; the decorators and
queries behave as outside TorchScript; save/load refuse with a message that says what to do."""
import pytest

import autograd_lite as al


def test_script_and_trace_return_their_argument():
    model = al.nn.Linear(3, 2)
    x = al.ones(1, 3)
    assert al.jit.script(model) is model and al.jit.trace(model, x) is model
    assert al.jit.trace_module(model, {"forward": x}) is model and al.jit.freeze(model) is model

    @al.jit.script
    def double(t):
        return t * 2
    assert double(x).tolist() == [[2.0, 2.0, 2.0]]
    assert al.jit.optimize_for_inference(model) is model


def test_decorators_and_queries():
    @al.jit.ignore
    def f():
        return 1

    @al.jit.ignore(drop=True)
    def g():
        return 2

    @al.jit.unused
    def h():
        return 3

    @al.jit.export
    def k():
        return 4
    assert (f(), g(), h(), k()) == (1, 2, 3, 4)
    assert al.jit.is_scripting() is False and al.jit.is_tracing() is False
    assert al.jit.annotate(list, [1]) == [1] and al.jit.Final[int] is int
    assert not isinstance(al.nn.Linear(1, 1), al.jit.ScriptModule)


def test_save_and_load_refuse(tmp_path):
    with pytest.raises(RuntimeError, match=r"jit.save: a TorchScript archive cannot be written.*state_dict"):
        al.jit.save(al.nn.Linear(1, 1), tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match="jit.load: a TorchScript archive cannot be read"):
        al.jit.load(tmp_path / "m.pt")
