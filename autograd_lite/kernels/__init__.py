"""Device kernel tables: raw arrays in, raw arrays out. They know nothing of Tensor or autograd."""
