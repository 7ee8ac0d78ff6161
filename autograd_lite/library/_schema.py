"""Operator schemas as PyTorch writes them (``mylib::foo.out(Tensor(a!) x, SymInt[] y, *, float z=1.) -> Tensor``):
the parser for `Library.define`, `infer_schema` from a function's type annotations, and the binding of a call's
arguments to a schema with the dispatcher's error messages."""
import collections.abc
import inspect
import numbers
import types
import typing

from ..autograd.op_function import TensorBase
from ..backend import device as _device
from .._dtype import dtype as _dtype
from .._generator import Generator as _Generator

_NODEFAULT = object()
_BASE_TYPES = ("Tensor", "int", "SymInt", "float", "SymFloat", "bool", "SymBool", "str", "Scalar", "ScalarType",
               "Device", "Layout", "MemoryFormat", "Generator", "Dimname", "Storage", "Stream", "complex", "Any")
_DISPLAY = {"SymInt": "int", "SymFloat": "float", "SymBool": "bool"}


class Argument:
    """One argument (or return) of a schema: its type as parts, name, default, alias annotation (``Tensor(a!)``)."""
    __slots__ = ("name", "base", "alias", "is_write", "elem_optional", "list_size", "optional", "default",
                 "kwarg_only")

    def __init__(self, base, name=None):
        self.base, self.name = base, name
        self.alias, self.is_write, self.elem_optional, self.list_size, self.optional = None, False, False, None, False
        self.default, self.kwarg_only = _NODEFAULT, False

    @property
    def has_default(self):
        return self.default is not _NODEFAULT

    @property
    def type(self):
        """The type as the schema writes it: ``Tensor(a!)?``, ``SymInt[]``, ``Tensor?[]``, ``float[2]?``."""
        text = self.base + (f"({self.alias}{'!' if self.is_write else ''})" if self.alias else "")
        text += "?" if self.elem_optional else ""
        if self.list_size is not None:
            text += "[]" if self.list_size < 0 else f"[{self.list_size}]"
        return text + ("?" if self.optional else "")

    def display_type(self):
        """The type as the dispatcher's errors name it: ``Optional[Tensor]``, ``List[int]``."""
        text = _DISPLAY.get(self.base, self.base)
        if self.elem_optional:
            text = f"Optional[{text}]"
        if self.list_size is not None:
            text = f"List[{text}]"
        return f"Optional[{text}]" if self.optional else text

    @property
    def is_tensor_like(self):
        return self.base == "Tensor"

    def __str__(self):
        text = self.type if self.name is None else f"{self.type} {self.name}"
        return text if not self.has_default else f"{text}={_format_default(self.default)}"


class FunctionSchema:
    """A parsed schema: ``name``, ``overload_name``, ``arguments`` and ``returns`` (lists of Argument)."""

    def __init__(self, name, overload_name, arguments, returns):
        self.name, self.overload_name, self.arguments, self.returns = name, overload_name, arguments, returns

    @property
    def is_mutable(self):
        return any(a.is_write for a in self.arguments)

    def __str__(self):
        args, star = [], False
        for a in self.arguments:
            if a.kwarg_only and not star:
                args.append("*")
                star = True
            args.append(str(a))
        if len(self.returns) == 1 and self.returns[0].name is None:
            ret = str(self.returns[0])
        else:
            ret = "(" + ", ".join(str(r) for r in self.returns) + ")"
        name = self.name + (f".{self.overload_name}" if self.overload_name else "")
        return f"{name}({', '.join(args)}) -> {ret}"

    __repr__ = __str__


def _format_default(v):
    if v is None or isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        text = repr(v)
        return text[:-1] if text.endswith(".0") else text      # as PyTorch's C++ printer: 2. for 2.0
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_format_default(x) for x in v) + "]"
    if isinstance(v, _dtype):
        return v.name
    return str(v)


# ------------------------------------------------------------------------------------------------ parsing

class _Parser:
    def __init__(self, text):
        self.text, self.pos = text, 0

    def fail(self, expected, pos=None):
        pos = self.pos if pos is None else pos
        found = self.text[pos] if pos < len(self.text) else "eof"
        kind = "ident" if found.isalpha() or found == "_" else ("number" if found.isdigit() else found)
        raise RuntimeError(f"expected {expected} but found '{kind}' here:\n{self.text}\n{' ' * pos}~ <--- HERE\n")

    def skip(self):
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self, s):
        self.skip()
        return self.text.startswith(s, self.pos)

    def take(self, s):
        if self.peek(s):
            self.pos += len(s)
            return True
        return False

    def expect(self, s):
        if not self.take(s):
            self.fail(f"'{s}'" if s != ")" else "')'")

    def ident(self):
        self.skip()
        start = self.pos
        t = self.text
        if self.pos < len(t) and (t[self.pos].isalpha() or t[self.pos] == "_"):
            self.pos += 1
            while self.pos < len(t) and (t[self.pos].isalnum() or t[self.pos] == "_"):
                self.pos += 1
            return t[start:self.pos]
        self.fail("ident")

    def type(self):
        self.skip()
        start = self.pos
        base = self.ident()
        if base not in _BASE_TYPES:
            raise RuntimeError("\nunknown type specifier. Common valid schema types include Tensor, SymInt, int, "
                               "float, bool, Scalar; for a full list, please see https://github.com/pytorch/pytorch/"
                               f"blob/main/aten/src/ATen/native/README.md#func :\n{self.text}\n{' ' * start}"
                               f"{'~' * len(base)} <--- HERE\n")
        arg = Argument(base)
        if self.take("("):
            arg.alias = self.ident()
            arg.is_write = self.take("!")
            self.expect(")")
        if self.take("?"):
            arg.elem_optional = True
        if self.take("["):
            self.skip()
            digits = self.pos
            while self.pos < len(self.text) and self.text[self.pos].isdigit():
                self.pos += 1
            arg.list_size = int(self.text[digits:self.pos]) if self.pos > digits else -1
            self.expect("]")
            if self.take("?"):
                arg.optional = True
        return arg

    def default(self):
        self.skip()
        start, depth = self.pos, 0
        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
            elif c in ",)" and depth == 0:
                break
            elif c == '"' or c == "'":
                self.pos = t.index(c, self.pos + 1)
            self.pos += 1
        return _parse_value(t[start:self.pos].strip())


def _parse_value(text):
    if text == "None":
        return None
    if text in ("True", "False"):
        return text == "True"
    if text[:1] in "\"'":
        return text[1:-1]
    if text.startswith("["):
        inner = text[1:-1].strip()
        return [_parse_value(x.strip()) for x in inner.split(",")] if inner else []
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text      # an enum name (contiguous_format, Mean, float32)


def parse_schema(text):
    """A FunctionSchema from ``name[.overload](args) -> returns``, with PyTorch's parse errors."""
    p = _Parser(text)
    name = p.ident()
    overload = p.ident() if p.take(".") else ""
    p.expect("(")
    arguments, kwarg_only = [], False
    if not p.take(")"):
        while True:
            if p.take("*"):
                kwarg_only = True
            else:
                arg = p.type()
                arg.name = p.ident()
                if p.take("="):
                    arg.default = p.default()
                arg.kwarg_only = kwarg_only
                arguments.append(arg)
            if p.take(")"):
                break
            p.expect(",")
    p.expect("->")
    returns = []
    if p.take("("):
        if not p.take(")"):
            while True:
                ret = p.type()
                if not p.peek(",") and not p.peek(")"):
                    ret.name = p.ident()
                returns.append(ret)
                if p.take(")"):
                    break
                p.expect(",")
    else:
        returns.append(p.type())
    p.skip()
    if p.pos != len(text):
        p.fail("eof")
    return FunctionSchema(name, overload, arguments, returns)


# ------------------------------------------------------------------------------------------------ inference

def _seq_kinds(t):
    return (typing.Sequence[t], typing.List[t], collections.abc.Sequence[t], list[t])  # noqa: UP006


def _supported_param_types():
    from ..tensor import Tensor
    rows = ((Tensor, "Tensor", True, True, False), (int, "SymInt", True, False, True),
            (float, "float", True, False, True), (bool, "bool", True, False, True), (str, "str", False, False, False),
            (typing.Union[int, float, bool], "Scalar", True, False, False),
            (_dtype, "ScalarType", False, False, False), (_device, "Device", False, False, False))
    result = {}
    for base, name, lists, optional_elems, optional_list in rows:
        result[base] = name
        result[typing.Optional[base]] = name + "?"
        if lists:
            result.update((s, name + "[]") for s in _seq_kinds(base))
        if optional_elems:
            result.update((s, name + "?[]") for s in _seq_kinds(typing.Optional[base]))
        if optional_list:
            result.update((typing.Optional[s], name + "[]?") for s in _seq_kinds(base))
    return result


def _supported_return_types():
    from ..tensor import Tensor
    return {Tensor: "Tensor", typing.List[Tensor]: "Tensor[]", list[Tensor]: "Tensor[]", int: "SymInt",  # noqa: UP006
            float: "float", bool: "bool", typing.Union[int, float, bool]: "Scalar"}


def _normalize(t):
    """``X | None`` as ``Optional[X]`` (PyTorch's table is written with typing.Union)."""
    if isinstance(t, types.UnionType):
        return typing.Union[tuple(_normalize(a) for a in typing.get_args(t))]
    return t


def infer_schema(prototype_function, /, *, mutates_args, op_name=None):
    """The schema of a function from its type annotations, as ``torch.library.infer_schema``.

    Example::

        def foo(x: Tensor, n: int) -> Tensor: ...
        infer_schema(foo, mutates_args=())     # '(Tensor x, SymInt n) -> Tensor'
    """
    from ..tensor import Tensor
    sig = inspect.signature(prototype_function)
    if type(mutates_args) is not str:
        mutates_args = tuple(mutates_args)

    def error_fn(what):
        raise ValueError(f"infer_schema(func): {what} Got func with signature {sig})")

    names = {"Tensor": Tensor, "device": _device, "dtype": _dtype, "Optional": typing.Optional,
             "List": typing.List, "Sequence": typing.Sequence, "Union": typing.Union}  # noqa: UP006

    def resolve(annotation):
        if not isinstance(annotation, str):
            return _normalize(annotation)
        try:
            return _normalize(eval(annotation, {**names, **prototype_function.__globals__}))  # noqa: S307
        except Exception as e:  # noqa: BLE001  (any failure to evaluate is an unsupported annotation)
            error_fn(f"Unsupported type annotation {annotation}. It is not a type. ({type(e).__name__}: {e}). ")

    param_types = _supported_param_types()
    params, seen, star = [], set(), False
    for idx, (name, param) in enumerate(sig.parameters.items()):
        if param.kind not in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            error_fn("We do not support positional-only args, varargs, or varkwargs.")
        if param.kind == inspect.Parameter.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        if param.annotation is inspect.Parameter.empty:
            error_fn(f"Parameter {name} must have a type annotation.")
        annotation = resolve(param.annotation)
        schema_type = param_types.get(annotation)
        if schema_type is None:
            if typing.get_origin(annotation) is tuple or annotation is tuple:
                args = typing.get_args(annotation)
                hint = f"For example, list[{args[0].__name__}].\n\n" if args and args[0] in param_types else "\n\n"
                error_fn(f"Parameter {name} has unsupported type {param.annotation}. We do not support Tuple inputs "
                         f"in schema. As a workaround, please try to use List instead. {hint}"
                         f"The valid types are: {param_types.keys()}.")
            error_fn(f"Parameter {name} has unsupported type {param.annotation}. The valid types are: "
                     f"{param_types.keys()}.")
        if type(mutates_args) is str:
            if mutates_args != "unknown":
                raise ValueError("mutates_args must either be a sequence of the names of the arguments that are "
                                 "mutated or the string 'unknown'. ")
            if schema_type.startswith("Tensor"):
                schema_type = f"Tensor(a{idx}!){schema_type[len('Tensor'):]}"
        elif name in mutates_args:
            if not schema_type.startswith("Tensor"):
                error_fn(f"Parameter {name} is in mutable_args but only Tensors or collections of Tensors can be "
                         "mutated")
            schema_type = f"Tensor(a{idx}!){schema_type[len('Tensor'):]}"
        seen.add(name)
        default = param.default
        if default is inspect.Parameter.empty:
            params.append(f"{schema_type} {name}")
            continue
        if default is None or isinstance(default, (int, float, bool)):
            text = str(default)
        elif isinstance(default, (str, _device)):
            text = f'"{default}"'
        elif isinstance(default, _dtype):
            text = default.name
        else:
            error_fn(f"Parameter {name} has an unsupported default value type {type(default)}. Please file an issue "
                     "on GitHub so we can prioritize this.")
        params.append(f"{schema_type} {name}={text}")
    if mutates_args != "unknown":
        missing = set(mutates_args) - seen
        if missing:
            error_fn(f"{missing} in mutates_args were not found in the custom op's signature. mutates_args should "
                     "contain the names of all args that the custom op mutates, or just the string 'unknown' if you "
                     "don't know.")
    ret = _parse_return(resolve(sig.return_annotation), error_fn)
    return f"{op_name or ''}({', '.join(params)}) -> {ret}"


def _parse_return(annotation, error_fn):
    if annotation is None:
        return "()"
    if annotation is inspect.Parameter.empty:
        error_fn("No return type annotation was provided. Please add one.")
    returns = _supported_return_types()
    if typing.get_origin(annotation) is not tuple:
        if annotation not in returns:
            error_fn(f"Return has unsupported type {annotation}. The valid types are: {returns}.")
        return returns[annotation]
    args = typing.get_args(annotation)
    for arg in args:
        if arg not in returns:
            error_fn(f"Return has unsupported type {annotation}. The valid types are: {returns}.")
    text = ", ".join(returns[a] for a in args)
    return f"(({text}))" if len(args) == 1 else f"({text})"


# ------------------------------------------------------------------------------------------------ binding

def _scalar_ok(base, v):
    if base == "Tensor":
        return isinstance(v, TensorBase)
    if base in ("int", "SymInt"):
        return isinstance(v, numbers.Integral) and not isinstance(v, TensorBase)
    if base in ("float", "SymFloat"):
        return isinstance(v, numbers.Real) and not isinstance(v, TensorBase)
    if base in ("bool", "SymBool"):
        return isinstance(v, bool)
    if base == "str":
        return isinstance(v, str)
    if base == "Scalar":
        return isinstance(v, numbers.Number) and not isinstance(v, TensorBase)
    if base == "ScalarType":
        return isinstance(v, _dtype)
    if base == "Device":
        return isinstance(v, (_device, str, int))
    if base == "Generator":
        return isinstance(v, _Generator)
    return True      # Layout, MemoryFormat, Dimname, ...: not checked here


def accepts(arg, v):
    """Whether value `v` fits argument `arg`'s type."""
    if v is None:
        return arg.optional or (arg.list_size is None and arg.elem_optional)
    if arg.list_size is None:
        return _scalar_ok(arg.base, v)
    if arg.list_size > 0 and arg.base in ("int", "SymInt") and _scalar_ok(arg.base, v):
        return True      # int[2] takes one int for both
    if not isinstance(v, (list, tuple)):
        return False
    return all((x is None and arg.elem_optional) or _scalar_ok(arg.base, x) for x in v)


def bind(qualname, schema, args, kwargs):
    """(positional values, keyword-only values) of a call, defaults filled, checked against the schema with the
    dispatcher's messages."""
    positional = [a for a in schema.arguments if not a.kwarg_only]
    decl = f"Declaration: {schema}"
    if len(args) > len(positional):
        if len(positional) < len(schema.arguments):
            raise RuntimeError(f"{qualname}() takes {len(positional)} positional argument(s) but {len(args)} was/were "
                               f"given.  {decl}")
        raise RuntimeError(f"{qualname}() expected at most {len(schema.arguments)} argument(s) but received "
                           f"{len(args)} argument(s). {decl}")
    values = []
    for i, arg in enumerate(schema.arguments):
        if i < len(args):
            v = args[i]
        elif arg.name in kwargs:
            v = kwargs[arg.name]
        elif arg.has_default:
            values.append(arg.default)
            continue
        else:
            raise RuntimeError(f"{qualname}() is missing value for argument '{arg.name}'. {decl}")
        if not accepts(arg, v):
            raise RuntimeError(f"{qualname}() Expected a value of type '{arg.display_type()}' for argument "
                               f"'{arg.name}' but instead found type '{type(v).__name__}'.\nPosition: {i}\n"
                               f"Value: {v!r}\n{decl}"
                               + (f"\nCast error details: Unable to cast {v!r} to Tensor" if arg.base == "Tensor"
                                  and arg.list_size is None else ""))
        if arg.base == "Device" and isinstance(v, str):
            v = _device(v)      # as PyTorch's binding: kernels get a device
        values.append(v)
    known = {a.name for a in schema.arguments}
    for key in kwargs:
        if key not in known:
            raise RuntimeError(f"Unknown keyword argument '{key}' for operator '{qualname}'. Schema: {schema}")
    n = len(positional)
    return values[:n], {a.name: v for a, v in zip(schema.arguments[n:], values[n:])}


def _same(v, default):
    if v is default:
        return True
    if isinstance(v, TensorBase) or isinstance(default, TensorBase) or default is None or v is None:
        return False
    if isinstance(v, bool) != isinstance(default, bool):
        return False
    try:
        return bool(v == default)
    except Exception:  # noqa: BLE001  (values that cannot compare are not defaults)
        return False


def kernel_args(schema, pos, kw):
    """A kernel's call as PyTorch's dispatcher makes it: trailing positional values and keyword-only values equal to
    their defaults are left out (the kernel's own defaults fill them)."""
    pos = list(pos)
    while pos:
        arg = schema.arguments[len(pos) - 1]
        if not (arg.has_default and _same(pos[-1], arg.default)):
            break
        pos.pop()
    by_name = {a.name: a for a in schema.arguments}
    kw = {k: v for k, v in kw.items() if not (by_name[k].has_default and _same(v, by_name[k].default))}
    return pos, kw
