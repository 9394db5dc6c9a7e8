"""Adapters to outside data: the economic check (核对) against other agencies, and its local simulator.

The engine talks to an `EconomicDataAdapter`; which one (the county platform or the simulator) is
chosen by whoever builds the services, so no workflow code depends on where the data lives.
"""

from .economic import (
    SOURCE_LABELS,
    SOURCES,
    CheckFailed,
    EconomicDataAdapter,
    SourceUnavailable,
    run_check,
)
from .simulator import SimulatorAdapter, add_record, seed_simulator
from .summary import monthly_income, summarise

__all__ = [
    "SOURCES",
    "SOURCE_LABELS",
    "CheckFailed",
    "EconomicDataAdapter",
    "SimulatorAdapter",
    "SourceUnavailable",
    "add_record",
    "monthly_income",
    "run_check",
    "seed_simulator",
    "summarise",
]
