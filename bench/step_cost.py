"""P1 baseline: one human-task completion through the app vs bare SpiffWorkflow, and the PDF.

- app: POST /tasks/<id> of the township review (HTTP request through the WSGI stack with a
  session cookie and CSRF token → form validation → engine → one transaction → read models);
- bare: SpiffWorkflow alone doing the same completion on the same state, with deserialize and
  serialize (the state JSON including the spec, as SpiffWorkflow stores it by default);
- pdf: the approval notice rendered by WeasyPrint.
"""

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests import factories as f
from tests.webapp.web import csrf, flatten, login
from webapp import create_app, db, services
from webapp.documents import render_pdf
from workflows import clock, demo, engine, reference, runtime, specs, store
from workflows.script_env import StepContext, script_engine
from workflows.store import Case, CaseSnapshot, HumanTask, User


def _timed(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1 if len(times) > 1 else 0]


def _cases_at_review(app, n: int) -> list[str]:
    """n cases waiting for the township review, made through the real engine (accepted, checked, visited)."""
    ids = []
    with app.app_context(), clock.frozen(f.MONDAY):
        factory, svc = db.factory(), services.get()
        for i in range(n):
            people = [f.member(f"测试{i}", f.date(1970, 1, 1), "self", "300", seq=2 * i + 1)]
            with store.unit_of_work(factory) as sess:
                clerk = sess.scalars(select(User).where(User.username == "clerk-001")).one()
                case_no = engine.start_case(sess, clerk, f.registration(people), svc).case.case_no
            demo.advance(factory, svc, case_no, "REVIEWING", f.MONDAY)
            with store.unit_of_work(factory) as sess:
                case = sess.scalars(select(Case).where(Case.case_no == case_no)).one()
                ids.append(sess.scalars(select(HumanTask.id).where(HumanTask.case_id == case.id)).one())
    return ids


def _bare_baseline(app, repeats: int):
    """Deserialize, complete the review, run the engine, serialize — SpiffWorkflow alone."""
    with app.app_context():
        sess = db.session()
        case = sess.scalars(select(Case).where(Case.status == "REVIEWING")).first()
        version = specs.version_by_hash(sess, case.spec_hash)
        engine_ = script_engine(StepContext(sess, case.township_code, clock.today()))
        wf = runtime.load_state(sess.get(CaseSnapshot, case.id).state, version, engine_)
        full = runtime.SERIALIZER.serialize_json(wf)

    def step():
        w = runtime.SERIALIZER.deserialize_json(full)
        w.script_engine = engine_
        task = w.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**f.review())
        task.run()
        w.do_engine_steps()
        runtime.SERIALIZER.serialize_json(w)

    return _timed(step, repeats)


def run(repeats: int = 40) -> list[tuple[str, float, float]]:
    """Measure and return (name, median s, p90 s) rows."""
    workdir = Path(tempfile.mkdtemp(prefix="dibao-bench-"))
    try:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        app = create_app({"DATABASE_URL": url, "DIBAO_DATA_DIR": str(workdir), "SECRET_KEY": "bench"})
        with app.app_context():
            store.create_schema(db.engine())
            with store.unit_of_work(db.factory()) as sess:
                reference.load(sess)
                demo.create_users(sess)
        task_ids = _cases_at_review(app, repeats + 1)
        client = app.test_client()
        login(client, "reviewer-001")
        token = csrf(client, f"/tasks/{task_ids[0]}")
        body = MultiDict([*flatten(f.review()), ("csrf_token", token)])
        pending = iter(task_ids)

        def http_step():
            resp = client.post(f"/tasks/{next(pending)}", data=body)
            assert resp.status_code == 302, resp.status_code

        bare_median, bare_p90 = _bare_baseline(app, repeats * 5)
        http_step()  # warm-up (first request compiles templates)
        app_median, app_p90 = _timed(http_step, repeats)
        ctx = dict(f.notice_context())
        render_pdf("approval_notice", ctx)
        pdf_median, pdf_p90 = _timed(lambda: render_pdf("approval_notice", ctx), max(5, repeats // 4))
        pdf_size = len(render_pdf("approval_notice", ctx))
        notice = _notice_list_context(200)
        list_median, list_p90 = _timed(lambda: render_pdf("public_notice_list", notice), 3)
        list_size = len(render_pdf("public_notice_list", notice))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        ("P1 app: POST review task (HTTP→engine→commit)", app_median, app_p90),
        ("P1 bare SpiffWorkflow: deserialize+complete+serialize", bare_median, bare_p90),
        (f"P5 approval notice PDF ({pdf_size / 1024:.0f} KB)", pdf_median, pdf_p90),
        (f"P5 public notice list, 200 rows ({list_size / 1024:.0f} KB)", list_median, list_p90),
    ]


def _notice_list_context(rows: int) -> dict:
    """A township's 公示 list with ``rows`` households (names masked as printed)."""
    return {
        "number": "GS-640104001-2026-000001", "verify_code": "K7Q2-9D3M", "issued_on": "2026-12-01",
        "issuer": "凤凰北街街道办事处", "county_gov": "兴庆区人民政府", "batch_no": "GS-640104001-2026-000001",
        "notice_start": "2026-12-01", "notice_end": "2026-12-07", "contact_phone": "0951-12345", "mask_names": True,
        "rows": [{"case_no": f"640104001-2026-{i:05d}", "applicant_name": "张*兰", "community": "幸福社区",
                  "persons": 3, "amount": "1022.00", "standard_class_label": "城市低保"} for i in range(rows)],
        "totals": {"households": rows, "persons": 3 * rows, "amount": f"{1022 * rows}.00"},
    }
