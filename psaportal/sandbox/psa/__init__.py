"""A ConnectWise PSA simulator: seeded records behind the documented REST API."""

from .schema import PSA_BASE_URL
from .simulator import PsaAnswer, PsaSimulator, SeedScale

__all__ = ["PSA_BASE_URL", "PsaAnswer", "PsaSimulator", "SeedScale"]
