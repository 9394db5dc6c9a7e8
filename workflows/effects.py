"""What a step does outside the workflow, named by task properties on the tasks it reached.

``engine._finish`` calls :func:`run` with the tasks that completed in the step. Properties act in
the order of :data:`ORDER`: checks and payments first, so a refusal (an amount over the authority
limit, a reserve that cannot cover a payment) refuses the whole step before anything is issued;
then documents, the benefit register, and referrals to another case.
"""

from . import benefits, documents, reserve, runtime

ORDER = ("amountLimit", "reserve", "document", "benefit", "reopen")


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
    elif name == "document":
        result.documents.append(_issue(step, value, data, digest))
    elif name == "benefit":
        benefits.apply(step, value, data, result.documents, event.seq)
    else:  # reopen
        result.events += _reopen(step, value, data, event)


def _issue(step, kind: str, data: dict, digest: str):
    if step.services.render is None or step.services.store is None:
        raise RuntimeError("this step issues a document but no renderer/document store was given")
    return documents.issue(step, kind, data, digest)


def _reopen(step, target: str, data: dict, event) -> list:
    """A ``reopen`` task reached in this step: send its finding back to the case it names."""
    from . import spot_checks  # noqa: PLC0415 - spot_checks starts cases through the engine (an import cycle)

    return spot_checks.reopen(step, target, data, event)
