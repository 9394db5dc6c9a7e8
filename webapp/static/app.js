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
      });
      row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      body.appendChild(row);
      var first = row.querySelector("input, select");
      if (first) { first.focus(); }
    });
  });
  // Upper-case the check character of ID numbers as typed.
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el.classList && el.classList.contains("id-number")) { el.value = el.value.toUpperCase().trim(); }
  });
})();
