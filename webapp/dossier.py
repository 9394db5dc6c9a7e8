"""The human-readable parts of a case's audit dossier: the report PDF and the offline diagram page.

`workflows.dossier` collects and packs; this module adds what needs the app's labels, document
templates and the vendored bpmn-js viewer.
"""

from pathlib import Path

from flask import render_template
from markupsafe import Markup

from workflows import access_log, clock, dossier, queries, specs
from workflows.store import Township, User

from . import labels

STATIC = Path(__file__).resolve().parent / "static"
VIEWER = ("vendor/bpmn-js/assets/diagram-js.css", "vendor/bpmn-js/assets/bpmn-js.css", "diagram.css",
          "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js", "diagram.js")


def _timeline(session, case) -> list[dict]:
    rows = []
    for h in queries.history_view(session, case):
        ev, data = h["event"], h["data"]
        what = h["title"] or labels.MESSAGES.get(data.get("message"), "")
        if not what and data.get("number"):
            what = f"{labels.DOCUMENTS.get(data.get('kind'), data.get('kind'))} {data['number']}"
        rows.append({
            "seq": ev.seq, "at": labels.china_time(ev.at), "kind": labels.EVENTS.get(ev.kind, ev.kind),
            "what": what, "actor": ev.actor_name or "系统", "hash": ev.hash,
            "shown": [(label, text if isinstance(text, str) else "；".join(map(str, text)))
                      for label, text in h["shown"]],
            "timers": "、".join(h["timers"]),
        })
    return rows


def _step_names(session, case) -> dict[str, str]:
    """BPMN id → the step's name in the diagram (unnamed elements such as gateways are left out)."""
    version = specs.version_by_hash(session, case.spec_hash)
    return {getattr(t, "bpmn_id", None): t.bpmn_name
            for spec in (version.spec, *version.subprocess_specs.values()) for t in spec.task_specs.values()
            if getattr(t, "bpmn_name", None)}


def _verdict(result) -> dict:
    div = result.divergence
    return {"verified": result.verified, "steps": result.steps, "problems": result.problems,
            "divergence": None if div is None else {
                "seq": div.seq, "kind": labels.EVENTS.get(div.kind, div.kind), "reason": div.reason,
                "expected": div.expected, "actual": div.actual}}


def report_context(session, found: dossier.Dossier, user: User) -> dict:
    """What the dossier PDF prints (kind ``audit_dossier``)."""
    case = found.case
    township = session.get(Township, case.township_code)
    at = found.generated_at.astimezone(clock.CHINA_TZ)
    names = _step_names(session, case)
    return {
        "number": f"审计卷宗-{case.case_no}", "verify_code": case.last_event_hash[:16].upper(),
        "issued_on": at.date().isoformat(), "issuer": township.county_gov if township else case.township_code,
        "generated_at": at.strftime("%Y-%m-%d %H:%M"), "generated_by": f"{user.display_name}（{user.username}）",
        "case": {
            "case_no": case.case_no, "process_id": case.process_id,
            "status": labels.STATUS.get(case.status, case.status),
            "township": township.name if township else case.township_code, "applicant_name": case.applicant_name,
            "applied_on": case.applied_on.isoformat(),
            "decided_on": case.decided_on.isoformat() if case.decided_on else "",
            "spec_hash": case.spec_hash, "head_seq": case.last_event_seq, "head_hash": case.last_event_hash,
        },
        "verdict": _verdict(found.verification),
        "anchors": [{"id": a.anchor_id, "at": labels.china_time(a.at), "root": a.root, "seq": a.seq,
                     "matches": a.matches} for a in found.anchors],
        "path": [{"seq": s.seq, "at": s.at[:16].replace("T", " "), "kind": labels.EVENTS.get(s.kind, s.kind),
                  "actor": s.actor, "status": labels.STATUS.get(s.status, s.status or ""),
                  "active": "、".join(names[i] for i in s.active if names.get(i))} for s in found.steps],
        "timeline": _timeline(session, case),
        "accesses": [{"at": labels.china_time(a.at), "user": a.username,
                      "action": labels.ACCESS.get(a.action, a.action), "target": a.target,
                      "from": f"{a.remote_addr}（{a.channel}）"}
                     for a in access_log.for_case(session, case, limit=1000)],
        "documents": [{"number": d.number, "kind": labels.DOCUMENTS.get(d.kind, d.kind),
                       "issued_at": labels.china_time(d.issued_at), "sha256": d.sha256, "verify_code": d.verify_code}
                      for d, _ in found.documents],
        "scans": [{"path": dossier.scan_path(row), "material": row.material, "filename": row.filename,
                   "uploaded_at": labels.china_time(row.uploaded_at), "sha256": row.sha256}
                  for row, _ in found.scans],
        "files": [],
    }


def diagram_page(found: dossier.Dossier, xml: str) -> bytes:
    """A self-contained HTML page: the pinned BPMN with the path, step by step, readable offline."""
    inline = {name: Markup((STATIC / name).read_text(encoding="utf-8")) for name in VIEWER}
    payload = {"xml": xml, "steps": [vars(s) for s in found.steps], "statuses": labels.STATUS}
    html = render_template("cases/diagram_offline.html", case=found.case, payload=payload, inline=inline,
                           generated_at=found.generated_at)
    return html.encode()


def build(session, case, user: User, render, store) -> bytes:
    """The dossier archive of ``case`` for ``user`` (the report PDF, the offline diagram, the machine files)."""
    found = dossier.collect(session, case, render, store)
    files = dossier.machine_files(found)
    context = report_context(session, found, user)
    context["files"] = sorted([*files, "diagram.html"])
    files["dossier.pdf"] = render("audit_dossier", context)
    files["diagram.html"] = diagram_page(found, queries.process_xml(session, case))
    return dossier.pack(found, files, context["generated_by"])
