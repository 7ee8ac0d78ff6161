"""Neural-network building blocks (functional ops now; modules arrive with the nn issue)."""
from . import functional
