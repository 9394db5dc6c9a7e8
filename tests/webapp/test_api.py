"""The JSON API: tokens, the whole flow role by role, errors, scope, and conformance to openapi.json.

Every JSON answer is validated against the schema that /api/v1/openapi.json declares for its path,
method and status (an undeclared status fails the test), and every body sent against its schema.
"""

import hashlib
import re
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

import webapp
from tests import factories as f
from tests.drive import publish
from webapp import db, services
from workflows import clock, demo, reference, store
from workflows.store import ApiToken
from workflows.users import create_user

MONDAY = f.MONDAY  # a working day
SPEC_URI = "urn:dibao:openapi"


def registration() -> dict:
    """A valid registration: three people, 900 yuan a month together."""
    return f.registration()


def answers(members: list[dict]) -> dict:
    """Each task's form data, by task id, confirming the declared figures."""
    return {"accept": f.accept(), "investigate": f.investigate(members), "cosign": f.cosign(),
            "review": f.review(), "county_check": f.county_check(), "leader": f.leader()}


def _config(tmp_path) -> dict:
    return {"TESTING": True, "DATABASE_URL": "sqlite://", "DIBAO_DATA_DIR": str(tmp_path), "SECRET_KEY": "test",
            "DIBAO_TESTING": True}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An in-memory database with reference data and demo users, built once (Argon2 is slow)."""
    app = webapp.create_app(_config(tmp_path_factory.mktemp("template")))
    with app.app_context():
        store.create_schema(db.engine())
        with store.unit_of_work(db.factory()) as sess:
            reference.load(sess)
            demo.create_users(sess)
        engine = db.engine()
    yield engine
    engine.dispose()


@pytest.fixture
def app(template, tmp_path):
    """A fresh app whose in-memory database is a copy of the template."""
    app = webapp.create_app(_config(tmp_path))
    with app.app_context():
        source, target = template.raw_connection(), db.engine().raw_connection()
        source.driver_connection.backup(target.driver_connection)
        source.close()
        target.close()
    yield app
    with app.app_context():
        db.engine().dispose()


class Api:
    """Drives the API and checks each exchange against the OpenAPI document."""

    def __init__(self, client, spec: dict):
        self.client, self.spec, self.tokens = client, spec, {}
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, DRAFT202012))

    def check(self, pointer: list[str], instance) -> None:
        path = "/".join(p.replace("~", "~0").replace("/", "~1") for p in pointer)
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#/{path}"}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        validator.validate(instance)

    def _declared(self, method: str, path: str, status: int) -> list[str]:
        for template, item in self.spec["paths"].items():
            if re.fullmatch("/api/v1" + re.sub(r"\{[^}]+\}", "[^/]+", template), path.partition("?")[0]):
                response = item[method]["responses"][str(status)]  # KeyError: status not declared
                if "$ref" in response:
                    return [*response["$ref"][2:].split("/"), "content", "application/json", "schema"]
                return ["paths", template, method, "responses", str(status), "content", "application/json", "schema"]
        raise AssertionError(f"{path} is not in the OpenAPI document")

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = self.call("post", "/tokens", None, 201,
                                              json={"username": username, "password": demo.DEMO_PASSWORD})["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None, status: int = 200, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}"} if user else {}
        resp = getattr(self.client, method)("/api/v1" + path, headers=headers, **kwargs)
        assert resp.status_code == status, resp.get_data(as_text=True)
        if resp.mimetype != "application/json":
            return resp
        self.check(self._declared(method, "/api/v1" + path, status), resp.get_json())
        return resp.get_json()


@pytest.fixture
def api(app):
    """The API driver, with the app's own OpenAPI document."""
    client = app.test_client()
    return Api(client, client.get("/api/v1/openapi.json").get_json())


def register(api: Api, user: str = "clerk-001") -> dict:
    """Register the standard application; the body must match the spec's Registration schema."""
    body = registration()
    api.check(["components", "schemas", "Registration"], body)
    return api.call("post", "/cases", user, 201, json=body)


def only_task(api: Api, user: str) -> str:
    """The id of the single task in the user's queue."""
    items = api.call("get", "/tasks", user)["items"]
    assert len(items) == 1
    return items[0]["id"]


def test_openapi_document_is_public_and_complete(api):
    spec = api.spec
    assert spec["openapi"].startswith("3.1")
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    wanted = {"/tokens", "/cases", "/cases/{case_no}", "/cases/{case_no}/history",
              "/cases/{case_no}/documents/{number}", "/tasks", "/tasks/{task_id}", "/tasks/{task_id}/claim",
              "/tasks/{task_id}/unclaim", "/tasks/{task_id}/complete", "/openapi.json",
              "/cases/{case_no}/objections", "/cases/{case_no}/extension"}
    assert wanted <= set(spec["paths"])
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    validate_openapi(spec)  # the whole document against the OpenAPI 3.1 specification


def test_tokens_and_bearer_auth(api, app):
    with clock.frozen(MONDAY):
        assert api.call("get", "/cases", None, 401)["error"]["code"] == "unauthorized"
        resp = api.client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"})
        assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
        bad = {"username": "clerk-001", "password": "wrong-password"}
        assert api.call("post", "/tokens", None, 401, json=bad)["error"]["message"]
        details = api.call("post", "/tokens", None, 422, json={"username": "clerk-001", "extra": 1})["error"]
        assert set(details["details"]) == {"password", "extra"}
        token = api.token("clerk-001")
        assert api.call("get", "/cases", "clerk-001")["items"] == []
    with app.app_context():
        hashes = db.session().scalars(select(ApiToken.token_hash)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes
    with clock.frozen(MONDAY + timedelta(hours=app.config["API_TOKEN_HOURS"], seconds=1)):
        assert api.call("get", "/cases", "clerk-001", 401)["error"]["code"] == "unauthorized"


def _work(api: Api, user: str, body: dict, schema: str) -> dict:
    task_id = only_task(api, user)
    detail = api.call("get", f"/tasks/{task_id}", user)
    assert detail["form"]["id"] == detail["task_spec"] and detail["case"]["case_no"] == detail["case_no"]
    api.check(["components", "schemas", schema], body)
    assert api.call("post", f"/tasks/{task_id}/claim", user)["claimed_by"]
    result = api.call("post", f"/tasks/{task_id}/complete", user, json=body)
    assert api.call("post", f"/tasks/{task_id}/complete", user, 409, json=body)["error"]["code"] == "conflict"
    return result


def _to_notice(api: Api, app) -> str:
    """Register, accept, 核对 (the worker's pass), visit, cosign and propose for approval, over the API."""
    case = register(api)
    no = case["case_no"]
    assert case["status"] == "ACCEPTING" and case["household_size"] == 3
    assert case["received_by"] is None and case["objection_count"] == 0 and case["deadline_extended"] is False
    assert [c["case_no"] for c in api.call("get", "/cases?status=ACCEPTING&q=张秀兰", "clerk-001")["items"]] == [no]
    todo = answers(registration()["members"])
    accept_id = only_task(api, "clerk-001")
    api.call("post", f"/tasks/{accept_id}/complete", "reviewer-001", 403, json=todo["accept"])
    result = _work(api, "clerk-001", todo["accept"], "TaskForm_accept")
    assert result["case"]["status"] == "VERIFYING" and result["open_tasks"] == []
    ticked = app.test_cli_runner().invoke(args=["tick"])
    assert "外部核对已答复：1 件" in ticked.output, ticked.output
    visit = [("investigator-001", "investigate"), ("investigator2-001", "cosign"), ("reviewer-001", "review")]
    for user, form in visit:
        result = _work(api, user, todo[form], f"TaskForm_{form}")
    assert result["case"]["status"] == "AWAITING_NOTICE" and result["open_tasks"] == []
    assert re.fullmatch(r"[0-9]+\.[0-9]{2}", result["case"]["amount_total"])
    return no


def test_the_whole_flow_over_the_api(api, app):
    with clock.frozen(MONDAY):
        no = _to_notice(api, app)
        with app.app_context():
            publish(db.factory(), services.get())
        assert api.call("get", f"/cases/{no}", "clerk-001")["status"] == "PUBLICIZING"
    later = MONDAY + timedelta(days=8)
    outcome = app.test_cli_runner().invoke(args=["tick", "--now", later.isoformat()])
    assert outcome.exit_code == 0, outcome.output
    api.tokens.clear()  # a week on: the morning's tokens have expired
    with clock.frozen(later):
        result = _work(api, "leader-001", answers([])["leader"], "TaskForm_leader")
        assert result["case"]["status"] == "APPROVED"
        detail = api.call("get", f"/cases/{no}", "clerk-001")
        assert detail["status"] == "APPROVED" and detail["data"]["members"][0]["name"] == "张秀兰"
        (notice,) = [d for d in detail["documents"] if d["kind"] == "approval_notice"]
        pdf = api.call("get", notice["url"].removeprefix("/api/v1"), "auditor")
        assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        assert hashlib.sha256(pdf.data).hexdigest() == notice["sha256"]
        events = api.call("get", f"/cases/{no}/history", "auditor")["events"]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "application_submitted" and "timer_fired" in kinds and kinds.count("task_completed") == 5
    assert "outside_data_received" in kinds and "message_received" in kinds
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(events, events[1:], strict=False))


def test_objection_and_extension_over_the_api(api, app):
    with clock.frozen(MONDAY):
        no = _to_notice(api, app)
        objection = f.objection()
        api.check(["components", "schemas", "MessageForm_objection"], objection)
        error = api.call("post", f"/cases/{no}/objections", "clerk-001", 409, json=objection)["error"]
        assert error["code"] == "conflict"  # not in its public notice yet
        with app.app_context():
            publish(db.factory(), services.get())
        api.call("post", f"/cases/{no}/objections", "investigator-001", 403, json=objection)
        api.call("post", f"/cases/{no}/objections", "clerk-002", 404, json=objection)
        details = api.call("post", f"/cases/{no}/objections", "clerk-001", 422, json={"channel": "fax"})["error"]
        assert {"content", "channel"} <= set(details["details"])
        api.call("post", f"/cases/{no}/objections", "clerk-001", 400, data="{not json")
        result = api.call("post", f"/cases/{no}/objections", "reviewer-001", 201, json=objection)
        assert result["case"]["status"] == "INVESTIGATING" and result["case"]["objection_count"] == 1
        assert [t["task_spec"] for t in result["open_tasks"]] == ["investigate"]

        reason = {"reason": "家庭成员在外地，需函询核实"}
        api.check(["components", "schemas", "MessageForm_deadline_extension"], reason)
        api.call("post", f"/cases/{no}/extension", "reviewer-001", 403, json=reason)
        assert "reason" in api.call("post", f"/cases/{no}/extension", "leader-001", 422, json={})["error"]["details"]
        result = api.call("post", f"/cases/{no}/extension", "leader-001", json=reason)
        assert result["case"]["deadline_extended"] is True and result["open_tasks"][0]["task_spec"] == "investigate"
        assert api.call("post", f"/cases/{no}/extension", "leader-001", 409, json=reason)["error"]["code"] == "conflict"


def test_invalid_registrations_get_422_with_field_details(api):
    body = registration()
    body["members"][1]["monthly_income"] = "-100"
    good = body["members"][2]["id_no"]
    body["members"][2]["id_no"] = good[:-1] + ("1" if good[-1] != "1" else "2")  # wrong check character
    with clock.frozen(MONDAY):
        error = api.call("post", "/cases", "clerk-001", 422, json=body)["error"]
        assert error["code"] == "invalid"
        assert {"members.1.monthly_income", "members.2.id_no"} <= set(error["details"])
        unknown = dict(registration(), salary="5000")
        assert "salary" in api.call("post", "/cases", "clerk-001", 422, json=unknown)["error"]["details"]
        unknown = registration()
        unknown["members"][0]["nickname"] = "兰兰"
        details = api.call("post", "/cases", "clerk-001", 422, json=unknown)["error"]["details"]
        assert any(key.startswith("members.0") for key in details)
        assert api.call("post", "/cases", "clerk-001", 422, json=["not", "an", "object"])["error"]["details"]
        assert api.call("post", "/cases", "clerk-001", 400, data="{not json")["error"]["code"] == "bad_request"
        assert api.call("post", "/cases", "investigator-001", 403, json=registration())["error"]["code"] == "forbidden"
        assert api.call("get", "/cases", "clerk-001")["items"] == []


def test_another_township_sees_nothing(api):
    with clock.frozen(MONDAY):
        no = register(api)["case_no"]
        task_id = only_task(api, "clerk-001")
        for path in (f"/cases/{no}", f"/cases/{no}/history", f"/tasks/{task_id}", f"/cases/{no}/documents/X"):
            assert api.call("get", path, "clerk-002", 404)["error"]["code"] == "not_found"
        api.call("post", f"/tasks/{task_id}/claim", "clerk-002", 404)
        assert api.call("get", "/cases", "clerk-002")["items"] == []
        assert api.call("get", "/tasks", "clerk-002")["items"] == []
        assert api.call("get", f"/cases/{no}", "auditor")["case_no"] == no
        assert api.call("get", "/tasks", "auditor")["items"] == []  # the district's checks only
        api.call("get", "/tasks?view=everything", "clerk-001", 422)
        api.call("get", "/cases?page=0", "clerk-001", 422)


def test_claims_guard_the_task(api, app):
    with app.app_context(), store.unit_of_work(db.factory()) as sess:
        create_user(sess, "clerk-001b", demo.DEMO_PASSWORD, "clerk", "640104001")
    with clock.frozen(MONDAY):
        register(api)
        task_id = only_task(api, "clerk-001")
        api.call("post", f"/tasks/{task_id}/claim", "investigator-001", 403)
        assert api.call("post", f"/tasks/{task_id}/claim", "clerk-001")["claimed_by"]
        mine = api.call("get", "/tasks?view=mine", "clerk-001")
        assert [t["id"] for t in mine["items"]] == [task_id] and mine["counts"]["mine"] == 1
        assert api.call("get", "/tasks?view=unclaimed", "clerk-001b")["items"] == []
        body = answers([])["accept"]
        api.call("post", f"/tasks/{task_id}/complete", "clerk-001b", 409, json=body)
        api.call("post", f"/tasks/{task_id}/unclaim", "clerk-001b", 409)
        assert api.call("post", f"/tasks/{task_id}/unclaim", "clerk-001")["claimed_by"] is None
        result = api.call("post", f"/tasks/{task_id}/complete", "clerk-001b", json=body)
        assert result["case"]["status"] == "VERIFYING" and result["open_tasks"] == []
