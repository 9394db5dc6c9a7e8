"""The JSON API for integrations, under ``/api/v1`` and described by ``/api/v1/openapi.json``.

Every endpoint except ``POST /tokens`` and ``GET /openapi.json`` needs ``Authorization: Bearer
<token>``. Errors are JSON (``webapp.errors.api_error``); domain errors map to their status there.
Each module registers its routes on :data:`bp`: ``tokens`` (auth), ``cases``, ``tasks``, ``benefits``
(在保家庭 and reviews), ``rosters`` (发放花名册), ``spot_checks`` (区级抽查), ``assistance`` (临时救助 and
备用金), ``visits`` (探访), ``spec``.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import assistance, benefits, cases, rosters, spec, spot_checks, tasks, tokens, visits  # noqa: E402, F401
