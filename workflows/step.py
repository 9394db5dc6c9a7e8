"""The state one step carries: where, when, who, on which process version, with which services."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from .documents import DocumentStore, Renderer
from .script_env import StepContext
from .specs import ProcessVersion
from .store import Case, User


@dataclass
class Services:
    """What a step needs from outside the engine: the PDF renderer and the document store."""

    render: Renderer | None = None
    store: DocumentStore | None = None
    public_url: str = ""  # base of the public /verify/<code> links printed on documents


@dataclass
class Step:
    """One step in progress (built by the engine, passed to the parts that write)."""

    session: Session
    case: Case
    version: ProcessVersion
    ctx: StepContext
    at: datetime
    actor: User | None
    services: Services
