"""Township-level administrative units (乡镇/街道): dated reference data, DOMAIN.md §8."""

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Township(Base):
    """One 乡镇 or 街道 by its 9-digit 统计用区划代码."""

    __tablename__ = "township"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # street | town | township
    county_code: Mapped[str] = mapped_column(String(6), index=True)
    county_name: Mapped[str] = mapped_column(String(60))
    county_gov: Mapped[str] = mapped_column(String(60))  # 行政复议 body named on refusal notices
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)

    @property
    def authority(self) -> str:
        """The issuing authority: 街道办事处 for a street office, 人民政府 for a 乡 or 镇."""
        return f"{self.name}办事处" if self.kind == "street" else f"{self.name}人民政府"

    @property
    def default_standard_class(self) -> str:
        """街道 apply the urban standard, 乡/镇 the rural one unless the case says otherwise."""
        return "urban" if self.kind == "street" else "rural"
