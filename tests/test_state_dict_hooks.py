"""Module._load_from_state_dict / _save_to_state_dict / _version / _metadata and the state_dict hooks, with torch.nn as
the oracle: each module is written once as ``twin(lib)`` and built with both libraries."""
import collections

import numpy as np
import pytest

import autograd_lite as al

torch = pytest.importorskip("torch")
LIBS = (al, torch)


def values(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def same_state(ours, theirs):
    """Same keys in the same order, same values and dtypes."""
    assert list(ours) == list(theirs)
    for k in theirs:
        a, b = values(ours[k]), values(theirs[k])
        assert a.dtype == b.dtype and a.shape == b.shape, k
        np.testing.assert_array_equal(a, b, err_msg=k)


def renaming(lib):
    """A module whose parameter was called "w" in older checkpoints: its override renames it, then super()."""
    class Scaled(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.zeros(3))
            self.fc = lib.nn.Linear(2, 3)

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                          error_msgs)
    return lib.nn.Sequential(lib.nn.ReLU(), Scaled())


def old_checkpoint(lib):
    return collections.OrderedDict([("1.w", lib.tensor([1.0, 2.0, 3.0])), ("1.fc.weight", lib.ones(3, 2)),
                                    ("1.fc.bias", lib.tensor([4.0, 5.0, 6.0]))])


def test_override_renames_an_old_key_then_calls_super():
    models = {lib: renaming(lib) for lib in LIBS}
    for lib, model in models.items():
        old = old_checkpoint(lib)
        result = model.load_state_dict(old)
        assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
        assert list(old) == ["1.w", "1.fc.weight", "1.fc.bias"]           # the caller's dict is left as it was
    same_state(models[al].state_dict(), models[torch].state_dict())
    np.testing.assert_array_equal(values(models[al][1].weight), [1, 2, 3])
    assert models[al][1].weight.requires_grad and models[al][1].weight.dtype is al.float32


def versioned(lib):
    """Version 2 stores `scale`; version 1 stored its logarithm as `log_scale`: upgraded through local_metadata."""
    class Gain(lib.nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.scale = lib.nn.Parameter(lib.ones(2))
            self.register_buffer("count", lib.tensor(0))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            version = local_metadata.get("version", None)
            if (version is None or version < 2) and prefix + "log_scale" in state_dict:
                state_dict[prefix + "scale"] = state_dict.pop(prefix + "log_scale").exp()
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                          error_msgs)
    return lib.nn.Sequential(lib.nn.Linear(2, 2), Gain())


@pytest.mark.parametrize("version", [None, 1, 2])
def test_version_upgrade_through_local_metadata(version):
    outcome = {}
    for lib in LIBS:
        model = versioned(lib)
        state = model.state_dict()
        assert state._metadata["1"] == {"version": 2} and state._metadata[""] == {"version": 1}
        old = collections.OrderedDict((k, v) for k, v in state.items() if k != "1.scale")
        old["1.log_scale"] = lib.tensor([0.0, 1.0])
        if version is not None:
            old._metadata = collections.OrderedDict(state._metadata)
            old._metadata["1"] = {"version": version}
        try:
            result = model.load_state_dict(old)
            outcome[lib] = (list(result.missing_keys), list(result.unexpected_keys), values(model[1].scale))
        except RuntimeError as e:
            outcome[lib] = str(e).replace("torch", "autograd_lite")
        if version is not None:
            assert old._metadata["1"] == {"version": version}               # not edited by the load
    if version == 2:                    # not upgraded: the old key is unexpected, the new one missing
        assert outcome[al] == outcome[torch] and "Missing key(s) in state_dict: \"1.scale\"" in outcome[al]
    else:
        assert outcome[al][:2] == outcome[torch][:2] == ([], [])
        np.testing.assert_allclose(outcome[al][2], outcome[torch][2], rtol=1e-6)
        np.testing.assert_allclose(outcome[al][2], [1.0, np.e], rtol=1e-6)


def stepping(lib):
    """A module saving extra state (a step count kept as a Python int) under its own key, and reading it back."""
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(2, 1)
            self.steps = 0

        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "steps"] = lib.tensor(self.steps)

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            key = prefix + "steps"
            if key in state_dict:
                self.steps = int(state_dict.pop(key))
            elif strict:
                missing_keys.append(key)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                          error_msgs)
    return lib.nn.Sequential(lib.nn.Linear(2, 2), Counter())


def test_save_to_state_dict_override_adds_an_entry():
    states = {}
    for lib in LIBS:
        model = stepping(lib)
        model[1].steps = 7
        states[lib] = model.state_dict()
        assert list(states[lib]) == ["0.weight", "0.bias", "1.steps", "1.fc.weight", "1.fc.bias"]
        fresh = stepping(lib)
        assert list(fresh.load_state_dict(states[lib]).missing_keys) == [] and fresh[1].steps == 7
        without = collections.OrderedDict((k, v) for k, v in states[lib].items() if k != "1.steps")
        with pytest.raises(RuntimeError) as e:
            fresh.load_state_dict(without)
        assert str(e.value) == 'Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: ' \
                               '"1.steps". '
        assert list(fresh.load_state_dict(without, strict=False).missing_keys) == ["1.steps"]
    assert dict(states[al]._metadata) == dict(states[torch]._metadata)
    np.testing.assert_array_equal(values(states[al]["1.steps"]), values(states[torch]["1.steps"]))
    assert states[al]["1.steps"].dtype is al.int64


def test_metadata_versions_are_torch_s():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2), lib.nn.Sequential(
            lib.nn.Flatten(), lib.nn.LayerNorm(4), lib.nn.BatchNorm1d(4)), lib.nn.Linear(4, 2))
    ours, theirs = build(al).state_dict(), build(torch).state_dict()
    assert type(ours._metadata) is collections.OrderedDict
    assert list(ours._metadata.items()) == list(theirs._metadata.items())
    assert ours._metadata["1"] == {"version": 2} and ours._metadata["2.0"] == {"version": 1}
    # a destination given by the caller gets no _metadata, as torch's; with one, entries under the prefix
    for lib in LIBS:
        plain = build(lib).state_dict(destination={})
        assert not hasattr(plain, "_metadata") and len(plain) == len(theirs)
    dest = {lib: collections.OrderedDict() for lib in LIBS}
    for lib in LIBS:
        dest[lib]._metadata = {}
        build(lib)[2].state_dict(destination=dest[lib], prefix="x.")
    assert dest[al]._metadata == dest[torch]._metadata and list(dest[al]) == list(dest[torch])


def test_quantized_modules_metadata_and_keys_are_torch_s():
    def build(nnq):
        return {"linear": nnq.Linear(4, 3), "conv": nnq.Conv2d(2, 3, 3), "dynamic": nnq.dynamic.Linear(4, 3),
                "quant": nnq.Quantize(0.5, 3, al.quint8 if nnq is al.nn.quantized else torch.quint8)}
    ours, theirs = build(al.nn.quantized), build(torch.ao.nn.quantized)
    assert ours["dynamic"].state_dict()._metadata[""] == {"version": 4}
    for name in ours:
        a, b = ours[name].state_dict(), theirs[name].state_dict()
        assert list(a) == list(b), name
        assert list(a._metadata.items()) == list(b._metadata.items()), name
        back = type(ours[name])(*{"linear": (4, 3), "conv": (2, 3, 3), "dynamic": (4, 3),
                                  "quant": (1.0, 0, al.quint8)}[name])
        assert list(back.load_state_dict(a)) == [[], []]
        assert list(back.state_dict()) == list(a)


def test_quantized_linear_version_1_checkpoint_loads_as_torch_s():
    """Before version 2 the weight and bias were the Linear's own keys (no _packed_params, no dtype)."""
    ref = torch.ao.nn.quantized.Linear(4, 3)
    w = torch.quantize_per_tensor(torch.randn(3, 4), 0.05, 0, torch.qint8)
    ref.set_weight_bias(w, torch.arange(3.0))
    ref.scale, ref.zero_point = 0.25, 5
    new = ref.state_dict()
    old = collections.OrderedDict([("scale", new["scale"]), ("zero_point", new["zero_point"]), ("weight", w),
                                   ("bias", torch.arange(3.0))])
    old._metadata = collections.OrderedDict([("", {"version": 1}), ("_packed_params", {"version": 1})])
    loaded = torch.ao.nn.quantized.Linear(4, 3)
    loaded.load_state_dict(old)
    ours_old = al.load(_saved(old))
    assert ours_old._metadata == old._metadata
    q = al.nn.quantized.Linear(4, 3)
    assert list(q.load_state_dict(ours_old)) == [[], []]
    assert (q.scale, q.zero_point) == (loaded.scale, loaded.zero_point) == (0.25, 5)
    np.testing.assert_array_equal(q.weight().int_repr().numpy(), loaded.weight().int_repr().numpy())
    np.testing.assert_array_equal(values(q.bias()), values(loaded.bias()))


def _saved(obj):
    import io
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


def strict_twin(lib):
    return lib.nn.Sequential(collections.OrderedDict([
        ("enc", lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.BatchNorm1d(3))),
        ("head", lib.nn.Linear(3, 1))]))


def test_strict_errors_list_keys_as_torch_s():
    messages = {}
    for lib in LIBS:
        model = strict_twin(lib)
        state = model.state_dict()
        bad = collections.OrderedDict()
        bad["extra_root"] = lib.ones(1)                 # unexpected at the root
        for k, v in state.items():
            if k not in ("enc.0.bias", "head.weight"):
                bad[k] = v
        bad["enc.1.weight"] = lib.ones(1)               # under a module with no parameters
        bad["enc.2.running_mean"] = lib.ones(4)         # size mismatch
        bad["head"] = lib.ones(1)                       # a module's name, no dot
        bad["enc.0.weight.x"] = lib.ones(1)             # under a parameter
        bad["nowhere.weight"] = lib.ones(1)             # under no module
        with pytest.raises(RuntimeError) as e:
            model.load_state_dict(bad)
        messages[lib] = str(e.value)
        result = model.load_state_dict({k: v for k, v in bad.items() if k != "enc.2.running_mean"}, strict=False)
        messages[lib, "keys"] = (list(result.missing_keys), list(result.unexpected_keys))
    assert messages[al].replace("autograd_lite.Size", "torch.Size") == messages[torch]
    assert messages[al, "keys"] == messages[torch, "keys"]
    assert messages[al].startswith('Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: '
                                   '"enc.0.bias", "head.weight". \n\tUnexpected key(s) in state_dict: "extra_root", '
                                   '"head", "nowhere.weight", "enc.0.weight.x", "enc.1.weight". \n\tsize mismatch '
                                   'for enc.2.running_mean')


def test_failed_load_changes_nothing_even_after_an_override():
    model = renaming(al)
    before = {k: values(v).copy() for k, v in model.state_dict().items()}
    bad = old_checkpoint(al)
    bad["1.fc.bias"] = al.zeros(4)
    with pytest.raises(RuntimeError, match="size mismatch for 1.fc.bias"):
        model.load_state_dict(bad)
    same_state(model.state_dict(), before)


def test_load_post_hook_edits_incompatible_keys_and_sees_the_module():
    seen = {}
    for lib in LIBS:
        model = strict_twin(lib)
        calls = []

        def hook(module, keys, calls=calls):
            calls.append((type(module).__name__, list(keys.missing_keys)))
            keys.missing_keys.clear()
        handle = model.enc.register_load_state_dict_post_hook(hook)
        state = {k: v for k, v in model.state_dict().items() if k != "enc.2.running_var"}
        assert list(model.load_state_dict(state).missing_keys) == []
        handle.remove()
        with pytest.raises(RuntimeError, match="enc.2.running_var"):
            model.load_state_dict(state)
        model.head.register_load_state_dict_post_hook(lambda m, keys: "not None")
        with pytest.raises(AssertionError, match="not expected to return new values"):
            model.load_state_dict(model.state_dict())
        seen[lib] = calls
    assert seen[al] == seen[torch] == [("Sequential", ["enc.2.running_var"])]


def test_load_pre_hooks_run_in_load_from_state_dict_order():
    order = {}
    for lib in LIBS:
        model = strict_twin(lib)
        calls = []
        for name, m in model.named_modules():
            m.register_load_state_dict_pre_hook(
                lambda mod, sd, prefix, meta, *rest, calls=calls: calls.append((prefix, sorted(sd), dict(meta))))
        model.load_state_dict(model.state_dict())
        order[lib] = calls
    assert order[al] == order[torch]
    assert order[al][0][0] == "" and order[al][1][0] == "enc." and order[al][1][1] == sorted(
        k for k in strict_twin(al).state_dict() if k.startswith("enc."))


def test_state_dict_pre_and_post_hooks():
    seen = {}
    for lib in LIBS:
        model = strict_twin(lib)
        calls = []
        model.enc.register_state_dict_pre_hook(lambda m, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))

        def post(m, sd, prefix, meta):
            calls.append(("post", prefix, dict(meta), [k for k in sd if k.startswith(prefix)]))
            sd[prefix + "note"] = lib.tensor(1.0)
        model.enc.register_state_dict_post_hook(post)
        state = model.state_dict(keep_vars=True)
        seen[lib] = (calls, list(state))
        model.head.register_state_dict_post_hook(lambda m, sd, prefix, meta: {})
        with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
            model.state_dict()
    assert seen[al] == seen[torch]


def test_assign_and_scalar_from_one_element():
    for lib in LIBS:
        model = versioned(lib)
        state = {"0.weight": lib.ones(2, 2), "0.bias": lib.zeros(2), "1.scale": lib.tensor([3.0, 4.0]),
                 "1.count": lib.tensor([5])}                # a PyTorch 0.3 scalar buffer: one element, 1-d
        model.load_state_dict(state, assign=True)
        assert int(model[1].count) == 5 and tuple(model[1].count.shape) == ()
        assert isinstance(model[1].scale, lib.nn.Parameter) and model[1].scale.requires_grad
        np.testing.assert_array_equal(values(model[1].scale), [3.0, 4.0])
