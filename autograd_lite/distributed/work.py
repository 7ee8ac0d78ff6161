"""Work: the handle an ``async_op=True`` collective returns; ``wait()`` blocks until it is done."""

__all__ = ["Work"]


class Work:
    """A collective in flight. ``wait()`` blocks until it has finished (then its tensors hold the result);
    ``is_completed()`` asks without blocking.

    Example::

        work = dist.all_reduce(t, async_op=True)
        ...                      # compute meanwhile
        work.wait()
    """

    def __init__(self, test, block, finish=None, result=()):
        self._test, self._block, self._finish, self._result = test, block, finish, list(result)
        self._done = False

    def _complete(self):
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout=None):
        """Blocks until the collective has finished; returns True."""
        if not self._done:
            self._block()
            self._complete()
        return True

    def is_completed(self):
        if not self._done and self._test():
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def exception(self):
        return None

    def result(self):
        """The collective's output tensors (after ``wait()``)."""
        self.wait()
        return self._result

    def __repr__(self):
        return f"Work(completed={self._done})"

