"""House rules that keep the layers apart and the process definitions loadable."""

import ast
from pathlib import Path

from workflows import specs

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_engine_layer_never_imports_flask_or_the_web_layer():
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & {"flask", "flask_login", "flask_babel", "werkzeug", "webapp"})
        for p in (ROOT / "workflows").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_document_renderer_is_flask_free():
    for p in (ROOT / "webapp" / "documents").rglob("*.py"):
        assert "flask" not in _imports(p), p


def test_every_process_in_bpmn_parses_with_its_forms():
    for bpmn in (ROOT / "bpmn").glob("*.bpmn"):
        sources = specs.read_sources(bpmn.stem)
        version = specs.parse(bpmn.stem, sources)
        user_tasks = [s.bpmn_id for s in version.spec.task_specs.values() if type(s).__name__ == "UserTask"]
        assert user_tasks, bpmn
        for task_id in [*user_tasks, "start"]:
            assert version.form(task_id).id == task_id


def test_a_version_is_its_content():
    sources = specs.read_sources("dibao_application")
    changed = dict(sources, **{"dibao_eligibility.dmn": sources["dibao_eligibility.dmn"].replace("FIRST", "UNIQUE")})
    assert specs.content_hash(sources) == specs.content_hash(dict(sources))
    assert specs.content_hash(changed) != specs.content_hash(sources)
