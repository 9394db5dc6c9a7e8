// The registration form at the window: what an ID number says (birth date, sex, age, 增发 by age),
// whether the person is already in a case, and a draft kept in this browser while typing.
// Conveniences only: the server validates every number and refuses duplicates on submit.
(function () {
  "use strict";
  var form = document.querySelector("form.intake");
  var block = document.getElementById("intake-config");
  if (!form || !block) { return; }
  var config = JSON.parse(block.textContent);
  var texts = config.texts;

  // GB 11643, as workflows/rules/id_number.py: 17 digits and a check character (ISO 7064 MOD 11-2),
  // a real birth date from 1900 to today, the 17th digit odd for men.
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK_CHARS = "10X98765432";
  var EARLIEST_BIRTH_YEAR = 1900;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  function birthOf(id) {
    var y = Number(id.slice(6, 10)), m = Number(id.slice(10, 12)), d = Number(id.slice(12, 14));
    var day = new Date(Date.UTC(2000, m - 1, d));
    day.setUTCFullYear(y);
    if (y < 1 || day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) {
      return { problem: "date" };
    }
    if (y < EARLIEST_BIRTH_YEAR) { return { problem: "too_early" }; }
    return { y: y, m: m, d: d, iso: id.slice(6, 10) + "-" + id.slice(10, 12) + "-" + id.slice(12, 14) };
  }

  function parseId(text) {
    var id = text.replace(/\s+/g, "").toUpperCase();
    if (!/^[0-9]{17}[0-9X]$/.test(id)) { return { problem: "format" }; }
    var sum = 0;
    for (var i = 0; i < 17; i += 1) { sum += Number(id.charAt(i)) * WEIGHTS[i]; }
    if (CHECK_CHARS.charAt(sum % 11) !== id.charAt(17)) { return { problem: "checksum" }; }
    var birth = birthOf(id);
    if (birth.problem) { return birth; }
    if (birth.iso > config.today) { return { problem: "future" }; }
    var t = config.today.split("-").map(Number);
    var beforeBirthday = t[1] < birth.m || (t[1] === birth.m && t[2] < birth.d);
    return { id: id, birth: birth.iso, sex: Number(id.charAt(16)) % 2 ? "M" : "F",
             age: t[0] - birth.y - (beforeBirthday ? 1 : 0) };
  }

  // The hints beside a field: created when first needed, found again by the field's id.
  function hint(input, kind) {
    var id = input.id + "-" + kind;
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("span");
      el.id = id;
      el.className = "id-hint " + kind;
      el.setAttribute("aria-live", "polite");
      var after = input.parentElement.querySelector(".id-hint.info") || input;
      after.insertAdjacentElement("afterend", el);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    return el;
  }

  function upliftText(age) {
    if (!config.ages) { return ""; }
    var found = [];
    if (age >= config.ages.elderly_age) { found.push(texts.categories.elderly); }
    if (age < config.ages.minor_age) { found.push(texts.categories.minor); }
    return found.length ? fill(texts.uplift, { categories: found.join("、") }) : "";
  }

  function lookUp(input, id) {
    var dup = hint(input, "dup");
    dup.textContent = "";
    if (!config.persons_url) { return; }
    fetch(config.persons_url + encodeURIComponent(id), { headers: { Accept: "application/json" },
                                                         credentials: "same-origin" })
      .then(function (resp) {
        var json = (resp.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!resp.ok || !json) { throw new Error(String(resp.status)); }
        return resp.json();
      })
      .then(function (body) {
        if (input.value.replace(/\s+/g, "").toUpperCase() !== id) { return; }  // typed on meanwhile
        dup.textContent = body.held ? body.message : "";
      })
      .catch(function () {
        if (input.value.replace(/\s+/g, "").toUpperCase() === id) { dup.textContent = texts.lookup_failed; }
      });
  }

  function describe(input) {
    var value = input.value.replace(/\s+/g, "");
    var info = hint(input, "info");
    if (value.length < 18) {
      info.textContent = "";
      hint(input, "dup").textContent = "";
      return;
    }
    var found = parseId(value);
    if (found.problem) {
      info.textContent = texts.problems[found.problem];
      info.classList.add("bad");
      hint(input, "dup").textContent = "";
      return;
    }
    info.classList.remove("bad");
    var summary = fill(texts.summary, { birth: found.birth, sex: texts.sex[found.sex], age: found.age });
    var uplift = upliftText(found.age);
    info.textContent = uplift ? summary + "；" + uplift : summary;
    lookUp(input, found.id);
  }

  form.addEventListener("input", function (ev) {
    if (ev.target.classList.contains("id-number")) { describe(ev.target); }
  });
  form.querySelectorAll("input.id-number").forEach(function (input) {
    if (input.value) { describe(input); }
  });

  // The draft: every field as typed, in this browser only (localStorage), under the user and the form.
  var notice = form.querySelector(".draft-notice");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "submit" && el.type !== "button";
    });
  }

  function keyOf(el) { return el.type === "checkbox" ? el.name + "|" + el.value : el.name; }

  function save() {
    var values = {};
    fields().forEach(function (el) { values[keyOf(el)] = el.type === "checkbox" ? el.checked : el.value; });
    var rows = {};
    form.querySelectorAll("fieldset.table-field").forEach(function (fs) {
      rows[fs.dataset.name] = fs.querySelectorAll("tbody tr").length;
    });
    try {
      localStorage.setItem(config.draft_key, JSON.stringify({ saved_at: Date.now(), rows: rows, values: values }));
    } catch (e) { /* storage full or disabled: no draft */ }
  }

  function clearDraft() {
    localStorage.removeItem(config.draft_key);
    notice.textContent = texts.cleared;
  }

  function restore(draft) {
    form.querySelectorAll("fieldset.table-field").forEach(function (fs) {
      var add = fs.querySelector("button.add-row");
      var wanted = (draft.rows || {})[fs.dataset.name] || 0;
      while (add && fs.querySelectorAll("tbody tr").length < wanted) { add.click(); }
    });
    fields().forEach(function (el) {
      var key = keyOf(el);
      if (!(key in draft.values)) { return; }
      if (el.type === "checkbox") { el.checked = draft.values[key] === true; } else { el.value = draft.values[key]; }
      if (el.classList.contains("id-number") && el.value) { describe(el); }
    });
    var when = new Date(draft.saved_at);
    notice.textContent = fill(texts.restored, { time: when.toLocaleString() }) + " ";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link clear-draft";
    button.textContent = texts.clear;
    button.addEventListener("click", function () {
      clearDraft();
      form.reset();
      form.querySelectorAll(".id-hint").forEach(function (el) { el.textContent = ""; });
    });
    notice.appendChild(button);
    notice.hidden = false;
  }

  var stored = null;
  try { stored = JSON.parse(localStorage.getItem(config.draft_key) || "null"); } catch (e) { stored = null; }
  // A page the server sent back with errors shows what was posted: that wins over the draft.
  if (stored && stored.values && form.dataset.fresh === "true") { restore(stored); }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("click", function (ev) {
    if (ev.target.classList.contains("add-row")) { save(); }
  });
})();
