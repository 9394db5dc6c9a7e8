"""Task data can never become code (issue 8): values typed into forms are data to the BPMN scripts, and
the scripts themselves run without imports or dangerous builtins."""

from datetime import date
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from sqlalchemy import select

from tests import factories as f
from tests.drive import accepted, do, run_calls
from workflows import queries, runtime, specs
from workflows.script_env import StepContext, script_engine
from workflows.store import Case, unit_of_work

PAYLOADS = [
    "__import__('os').system('touch /tmp/dibao-pwned')",
    "'); import os; os.system('id'); #",
    "{{ 7*7 }} ${7*7} <script>alert(1)</script>",
    "exec(open('/etc/passwd').read())",
]


def test_code_typed_into_a_form_is_stored_as_text_and_never_run(factory, services, at_monday):
    members = [f.member(PAYLOADS[1][:20] + "张三", date(1980, 5, 1), "self", "600", seq=2)]
    sub = f.registration(members, address=PAYLOADS[0], community=PAYLOADS[2])
    case_no = accepted(factory, services, sub)
    assert run_calls(factory, services) == 1
    visit = f.investigate(sub["members"])
    visit["findings"] = PAYLOADS[3]
    do(factory, services, case_no, "investigator-001", visit)
    with unit_of_work(factory) as sess:
        data = queries.case_data(sess, sess.scalars(select(Case).where(Case.case_no == case_no)).one())
    assert data["address"] == PAYLOADS[0] and data["community"] == PAYLOADS[2]
    assert data["findings"] == PAYLOADS[3]
    assert not Path("/tmp/dibao-pwned").exists()  # where the first payload would have written


@pytest.mark.parametrize("script", [
    "import os",
    "x = __import__('os')",
    "x = open('/etc/passwd').read()",
    "x = eval('1+1')",
    "x = exec('y = 1')",
    "x = getattr(str, '__class__')",
    "x = globals()",
])
def test_scripts_cannot_import_or_reach_outside(factory, at_monday, script):
    with unit_of_work(factory) as sess:
        version = specs.current_version(sess, "dibao_application")
        wf = runtime.new_workflow(version, script_engine(StepContext(sess, "640104001", date(2026, 11, 30))))
        task = wf.get_next_task()
        with pytest.raises((WorkflowTaskException, ImportError, NameError)):
            wf.script_engine.execute(task, script)
