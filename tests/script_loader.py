"""load_script: a script of examples/ or benchmarks/ imported as a module, so tests call its functions in-process."""
import importlib.util
import pathlib


def load_script(path, name=None):
    """The module of the Python file at `path` (named `name`, default the file's stem), executed once."""
    path = pathlib.Path(path)
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
