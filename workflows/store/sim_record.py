"""Outside-agency records held locally, so the economic check (核对) runs without the real agencies."""

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class SimEconomicRecord(Base):
    """One record that a simulated source (see workflows.adapters.economic.SOURCES) returns for a person."""

    __tablename__ = "sim_economic_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    id_no: Mapped[str] = mapped_column(String(18), index=True)
    record: Mapped[dict] = mapped_column(JSON)  # the record as the source would send it, id_no included
