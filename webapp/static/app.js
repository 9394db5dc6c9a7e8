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
      var number = row.firstElementChild, rowId = /-\d+-row$/, ownRow = "-" + index + "-row";
      number.textContent = String(index + 1);
      if (number.id) { number.id = number.id.replace(rowId, ownRow); }  // a cell is named by its column and row
      row.querySelectorAll("input, select, textarea").forEach(function (el) {
        el.name = el.name.replace(/\.(\d+)\./, "." + index + ".");
        el.id = el.name.replace(/\./g, "-");
        var names = el.getAttribute("aria-labelledby");
        if (names) { el.setAttribute("aria-labelledby", names.replace(/-\d+-row\b/, ownRow)); }
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
  // The navigation's menus (<details> in base.html): one open at a time; Escape closes the open one
  // and gives the focus back to its summary; a click elsewhere closes it.
  var menus = Array.prototype.slice.call(document.querySelectorAll("nav details.menu"));
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open) { menus.forEach(function (other) { if (other !== menu) { other.open = false; } }); }
    });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    menus.forEach(function (menu) {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
  document.addEventListener("click", function (ev) {
    menus.forEach(function (menu) { if (menu.open && !menu.contains(ev.target)) { menu.open = false; } });
  });
  // Printing: "打印" buttons print the page; every closed <details> (what a step submitted) is opened
  // for the paper and closed again afterwards.
  document.querySelectorAll("button[data-print]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { window.print(); });
  });
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = Array.prototype.filter.call(document.querySelectorAll("main details:not([open])"),
      function (el) { el.open = true; return true; });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (el) { el.open = false; });
    openedForPrint = [];
  });
  // Bulk actions: "全选" ticks or clears every box of its list (data-select-all names the boxes).
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var boxes = document.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]');
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { if (!box.disabled) { box.checked = all.checked; } });
    });
  });
  // Upper-case the check character of ID numbers as typed.
  document.addEventListener("input", function (ev) {
    var el = ev.target;
    if (el.classList && el.classList.contains("id-number")) { el.value = el.value.toUpperCase().trim(); }
  });
})();
