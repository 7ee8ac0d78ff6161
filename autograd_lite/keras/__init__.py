"""A Keras-style API on autograd_lite (section 3.2 of the notes): ``Sequential`` models of ``Dense``,
``Activation``, ``Dropout`` and ``Flatten`` layers, ``compile`` / ``fit`` / ``evaluate`` / ``predict``,
regularizers, optimizers and callbacks, built on autograd_lite.nn and optim (no second engine).

Example::

    from autograd_lite.keras.models import Sequential
    from autograd_lite.keras.layers import Dense, Activation
    model = Sequential([Dense(8, input_dim=2, activation='tanh'), Dense(1), Activation('sigmoid')])
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    model.fit(X, y, epochs=500, verbose=0)
"""
from . import callbacks, layers, losses, metrics, models, optimizers, regularizers

__all__ = ["callbacks", "layers", "losses", "metrics", "models", "optimizers", "regularizers"]
