// 后台任务: while a job runs, keep its progress bar current from /jobs/<id>.json; reload the page when it
// ends, so the result (or the reason it failed) is shown. The page itself always shows the progress the
// database has, so nothing is lost by a reload or by leaving.
(function () {
  "use strict";
  var EVERY = 2000;
  function show(box, data) {
    var bar = box.querySelector("progress");
    var count = box.querySelector("[data-job-count]");
    var status = box.querySelector("[data-job-status]");
    if (bar && data.total > 0) {
      bar.max = data.total;
      bar.value = data.done;
    }
    if (count && data.total > 0) { count.textContent = data.done + " / " + data.total + " (" + data.percent + "%)"; }
    if (status) {
      status.textContent = data.status_label;
      status.className = "status j-" + data.status;
    }
  }
  document.querySelectorAll("[data-job-progress]").forEach(function (box) {
    var url = box.getAttribute("data-job-progress");
    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) {
          show(box, data);
          if (data.finished) { window.location.reload(); } else { window.setTimeout(poll, EVERY); }
        })
        .catch(function () { window.setTimeout(poll, EVERY * 5); });  // offline or logged out: try again later
    }
    window.setTimeout(poll, EVERY);
  });
})();
