"""A ConnectWise PSA simulator: seeded records behind the documented REST API."""

from .simulator import PsaAnswer, PsaSimulator, SeedScale

__all__ = ["PsaAnswer", "PsaSimulator", "SeedScale"]
