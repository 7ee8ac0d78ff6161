"""The device modules of backends autograd_lite does not have (torch.mps, torch.xpu, torch.mtia): each call answers
as torch's CPU build does (False / 0 / empty, or raising its error); mps.py, xpu.py and mtia.py build on this."""


def raising(name, error, message):
    """A function `name` that raises error(message) whatever its arguments, as torch's call without the backend."""
    def call(*args, **kwargs):
        raise error(message)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"Raises {error.__name__}: {message}"
    return call


def returning(name, value):
    """A function `name` that returns (a fresh copy of) value whatever its arguments, as torch's CPU build."""
    def call(*args, **kwargs):
        return type(value)(value) if isinstance(value, (list, dict)) else value
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"Returns {value!r}: there is no such device here."
    return call


def install(namespace, table):
    """Puts table's {name: (kind, value...)} into a module namespace: ("raise", error, message) or ("return", v)."""
    for name, (kind, *rest) in table.items():
        namespace[name] = raising(name, *rest) if kind == "raise" else returning(name, *rest)
    return sorted(table)
