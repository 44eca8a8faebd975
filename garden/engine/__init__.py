"""Rules and state of the garden. Pure Python: imports neither pygame nor torch."""

from garden.engine.garden import Garden, Plot

__all__ = ["Garden", "Plot"]
