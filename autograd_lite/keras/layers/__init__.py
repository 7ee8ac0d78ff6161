"""Keras layers: ``from autograd_lite.keras.layers import Dense, Dropout, Activation, Flatten`` (also importable
from ``autograd_lite.keras.layers.core``, Keras 2's path, as the notes write it)."""
from .core import LAYERS, Activation, Dense, Dropout, Flatten, Layer

__all__ = ["Layer", "Dense", "Activation", "Dropout", "Flatten"]
