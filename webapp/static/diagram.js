// The auditor's diagram: the pinned BPMN with the path taken, as it was after each recorded step.
(function () {
  "use strict";
  var payload = JSON.parse(document.getElementById("diagram-data").textContent);
  var viewer = new window.BpmnJS({ container: "#canvas" });
  var canvas, registry, marked = [];
  var slider = document.getElementById("step");
  var label = document.getElementById("step-label");
  var detail = document.getElementById("step-detail");
  // The page passes its words in the user's language (payload.text); the offline copy in the dossier is Chinese.
  var TEXT = payload.text || {
    kinds: { application_submitted: "登记申请", task_completed: "办结环节", timer_fired: "时限到达",
             document_issued: "出具文书", task_claimed: "认领任务", task_unclaimed: "退回任务" },
    amount: "，月保障金 {amount} 元", status: "状态", failed: "流程图无法显示："
  };
  var KINDS = TEXT.kinds;

  function mark(id, cls) {
    if (registry.get(id)) { canvas.addMarker(id, cls); marked.push([id, cls]); }
  }

  function flowsBetween(done) {
    // A sequence flow is on the path when both its ends were completed (or its target is active).
    return registry.filter(function (el) {
      return el.type === "bpmn:SequenceFlow" && done[el.businessObject.sourceRef.id] &&
        (done[el.businessObject.targetRef.id] === true || done[el.businessObject.targetRef.id] === "active");
    });
  }

  function show(n) {
    var step = payload.steps[n - 1];
    if (!step) { return; }
    marked.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    marked = [];
    var done = {};
    step.completed.forEach(function (id) { done[id] = true; mark(id, "done"); });
    step.active.forEach(function (id) { done[id] = "active"; mark(id, "active"); });
    flowsBetween(done).forEach(function (el) { mark(el.id, "done"); });
    label.textContent = "#" + step.seq + " / " + payload.steps.length;
    var amount = step.data.amount ? TEXT.amount.replace("{amount}", step.data.amount.total) : "";
    detail.textContent = step.at.replace("T", " ").slice(0, 16) + " · " + (KINDS[step.kind] || step.kind) +
      (step.task_spec ? " · " + step.task_spec : "") + " · " + step.actor + " · " + TEXT.status + " " +
      (payload.statuses[step.status] || step.status || "") + amount;
  }

  viewer.importXML(payload.xml).then(function () {
    canvas = viewer.get("canvas");
    registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport");
    show(Number(slider.value));
    document.body.setAttribute("data-diagram-ready", "true");
  }).catch(function (err) {
    detail.textContent = TEXT.failed + err.message;
  });
  slider.addEventListener("input", function () { show(Number(slider.value)); });
})();
