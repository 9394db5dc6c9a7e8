"""What a step does outside the workflow, named by task properties on the tasks it reached.

``engine._finish`` calls :func:`run` with the tasks that completed in the step. Properties act in
the order of :data:`ORDER`: checks and payments first, so a refusal (an amount over the authority
limit, a reserve that cannot cover a payment, a payment roster whose register changed since it was
drawn up) refuses the whole step before anything is issued; then documents, the benefit register,
the visit a 探访 task recorded, and referrals to another case.

A user task may also name data the engine layer works out when it is completed (``computes``,
:func:`computed`): recorded with the completion, so replay sets it again instead of recomputing it.
"""

from . import benefits, documents, reserve, runtime

ORDER = ("amountLimit", "reserve", "roster", "document", "benefit", "visit", "reopen")


def run(step, tasks: list, digest: str, result) -> None:
    """Apply the properties of ``tasks`` (completed in this step) in :data:`ORDER`.

    Args:
        step: the :class:`workflows.step.Step` in progress.
        tasks: SpiffWorkflow tasks completed by this step, in tree order.
        digest: the state digest the step produced.
        result: the engine's ``StepResult``; documents and extra events are added to it.
    """
    for name in ORDER:
        for task in tasks:
            value = runtime.task_properties(task.task_spec).get(name)
            if value:
                _effect(step, name, value, task.data, digest, result)


def _effect(step, name: str, value: str, data: dict, digest: str, result) -> None:
    event = result.events[0]
    if name == "amountLimit":  # e.g. "approved_amount<=township_limit"
        reserve.check_limit(value, data)
    elif name == "reserve":  # "pay": 先行救助 from the township reserve
        reserve.apply(step, value, data, event.seq)
    elif name == "roster":  # "issue": the approved payment roster
        result.documents.append(_issue_roster(step, value, data, digest))
    elif name == "document":
        result.documents.append(_issue(step, value, data, digest))
    elif name == "benefit":
        benefits.apply(step, value, data, result.documents, event.seq)
    elif name == "visit":  # "record": the Visit row a completed 探访 task recorded
        _record_visit(step, value, data)
    else:  # reopen
        result.events += _reopen(step, value, data, event)


def _issue(step, kind: str, data: dict, digest: str):
    if step.services.render is None or step.services.store is None:
        raise RuntimeError("this step issues a document but no renderer/document store was given")
    return documents.issue(step, kind, data, digest)


def _issue_roster(step, value: str, data: dict, digest: str):
    from . import roster_process  # noqa: PLC0415 - roster_process starts cases through the engine (an import cycle)

    if value != "issue":
        raise ValueError(f"unknown roster effect {value!r}")
    return roster_process.issue(step, data, digest)


def _record_visit(step, value: str, data: dict) -> None:
    from . import visit_steps  # noqa: PLC0415 - visit_steps starts reviews through the engine (an import cycle)

    visit_steps.record(step, value, data)


def computed(session, actor, case, name: str | None, data: dict) -> dict:
    """The data a user task with the property ``computes`` adds to its form when it is completed.

    Args:
        name: the property's value (``roster_draft``: the payment roster drawn up again; ``visit_record``:
            a visit's date checked and whether the household is on 低保), or None.
        data: the task's data with the form just submitted.

    Returns:
        Plain JSON values to set with the form (empty without the property).
    """
    if not name:
        return {}
    if name == "visit_record":
        from . import visit_steps  # noqa: PLC0415 - see _record_visit

        return visit_steps.computed_record(session, actor, case, data)
    if name != "roster_draft":
        raise ValueError(f"unknown computes {name!r}")
    from . import roster_process  # noqa: PLC0415 - see _issue_roster

    return roster_process.redraft(session, actor, case, data)


def _reopen(step, target: str, data: dict, event) -> list:
    """A ``reopen`` task reached in this step: send its finding back to the case it names (``subject``:
    the case a spot check checked) or to a review of the household (``household``: a visit's change)."""
    if target == "household":
        from . import visit_steps  # noqa: PLC0415 - see _record_visit

        return visit_steps.refer(step, target, data, event)
    from . import spot_checks  # noqa: PLC0415 - spot_checks starts cases through the engine (an import cycle)

    return spot_checks.reopen(step, target, data, event)
