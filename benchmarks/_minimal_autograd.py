"""A minimal NumPy autograd (micrograd-style, ~40 lines): the floor for a Python-level engine,
used by cases_overhead.py as a reference. Supports just what the overhead benchmark needs."""
import numpy as np


class MiniTensor:
    __slots__ = ("data", "grad", "_parents", "_backward")

    def __init__(self, data, parents=(), backward=None):
        self.data, self.grad, self._parents, self._backward = data, None, parents, backward

    def __mul__(self, other):
        a, b = self.data, other.data
        return MiniTensor(a * b, (self, other), lambda g: (g * b, g * a))

    def sum(self):
        shape = self.data.shape
        return MiniTensor(self.data.sum(), (self,), lambda g: (np.broadcast_to(g, shape),))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:                       # iterative topological sort
            node, done = stack.pop()
            if done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents)
        grads = {id(self): np.ones_like(self.data)}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._backward is None:
                node.grad = g if node.grad is None else node.grad + g
                continue
            for p, gp in zip(node._parents, node._backward(g)):
                grads[id(p)] = gp if id(p) not in grads else grads[id(p)] + gp
