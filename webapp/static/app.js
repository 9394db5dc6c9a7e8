// Small conveniences only; every check that matters happens on the server.
(function () {
  "use strict";
  // "增加一行": copy the last row of a table field, renumbering field names (members.3.name → .4.).
  document.querySelectorAll("button.add-row").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var body = btn.parentElement.querySelector("tbody");
      var last = body.lastElementChild;
      if (!last) { return; }
      var index = body.children.length;
      var row = last.cloneNode(true);
      row.firstElementChild.textContent = String(index + 1);
      row.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.name = el.name.replace(/\.(\d+)\./, "." + index + ".");
        el.id = el.name.replace(/\./g, "-");
        if (el.type === "checkbox") { el.checked = false; } else { el.value = ""; }
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
      });
      row.querySelectorAll(".error, .id-hint").forEach(function (el) { el.remove(); });
      body.appendChild(row);
      var first = row.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });
  // Drafts of registration forms (intake.js) hold other people's ID numbers: dropped once the form
  // was registered (the server names the draft on the next page) and on any page a day after the last edit.
  var DRAFT_PREFIX = "dibao-draft:", DRAFT_MAX_AGE_MS = 24 * 60 * 60 * 1000;
  try {
    document.querySelectorAll(".draft-done[data-key]").forEach(function (el) {
      localStorage.removeItem(el.dataset.key);
    });
    for (var i = localStorage.length - 1; i >= 0; i -= 1) {
      var key = localStorage.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) {
        var draft = null;
        try { draft = JSON.parse(localStorage.getItem(key)); } catch (e) { draft = null; }
        if (!draft || !(Date.now() - draft.saved_at < DRAFT_MAX_AGE_MS)) { localStorage.removeItem(key); }
      }
    }
  } catch (e) { /* no storage in this browser: nothing kept */ }
  // Upper-case the check character of ID numbers as typed.
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el.classList && el.classList.contains("id-number")) { el.value = el.value.toUpperCase().trim(); }
  });
})();
