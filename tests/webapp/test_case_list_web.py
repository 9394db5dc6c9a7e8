"""案件查询: the process filter (visits left out unless asked), and a search whose % and _ are literal."""

from datetime import date

from tests import factories as f
from tests.drive import start
from tests.webapp.web import login
from webapp import db, services
from workflows import queries
from workflows.store import Case, unit_of_work


def _cases(app, *names: str) -> list[str]:
    with app.app_context():
        return [start(db.factory(), services.get(),
                      f.registration(members=[f.member(name, date(1970, 1, 1 + i), seq=i)]))
                for i, name in enumerate(names, 1)]


def _relabel_as_visit(app, case_no: str) -> None:
    """Stand-in for a visit case in the list (the list reads only the case row)."""
    with app.app_context(), unit_of_work(db.factory()) as sess:
        case = sess.query(Case).filter_by(case_no=case_no).one()
        case.process_id, case.status = "dibao_visit", "VISIT_DUE"


def test_the_list_leaves_visits_out_unless_asked_and_labels_each_process(app, client, at_monday):
    applied, visit = _cases(app, "王一", "王二")
    _relabel_as_visit(app, visit)
    login(client, "clerk-001")
    page = client.get("/cases/").get_data(as_text=True)
    assert applied in page and visit not in page and "低保申请" in page and 'id="process"' in page
    only = client.get("/cases/?process=dibao_visit").get_data(as_text=True)
    assert visit in only and applied not in only and "待探访" in only
    both = client.get("/cases/?process=all").get_data(as_text=True)
    assert visit in both and applied in both
    forged = client.get("/cases/?process=<script>")  # unknown: the default list, never an error
    assert forged.status_code == 200 and applied in forged.get_data(as_text=True)
    assert visit not in forged.get_data(as_text=True) and "<script>" not in forged.get_data(as_text=True)
    assert "payment_roster" not in page  # clerks do not read rosters: not offered


def test_percent_and_underscore_in_a_search_are_taken_literally(app, client, at_monday):
    _cases(app, "李_明", "李小明")
    with app.app_context(), unit_of_work(db.factory()) as sess:
        clerk = sess.query(queries.User).filter_by(username="clerk-001").one()
        names = {c.applicant_name for c in queries.case_list(sess, clerk, text="李_")}
        assert names == {"李_明"}
        assert queries.case_list(sess, clerk, text="%") == []
    login(client, "clerk-001")
    page = client.get("/cases/?q=李_").get_data(as_text=True)
    assert "李_明" in page and "李小明" not in page
