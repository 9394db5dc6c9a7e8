// The checks tests/e2e/test_screens.py runs inside a page: evaluated as a script, it defines window.screens.
// Each check returns what is wrong, in words a person can act on (an empty list: nothing).
window.screens = (function () {
  "use strict";

  // Shown: laid out, not hidden, not in a closed <details> (whose content keeps its boxes, unseen).
  function rendered(el) {
    return el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true, opacityProperty: true });
  }

  function describe(el) {
    var name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
    if (!el.id && el.className && typeof el.className === "string") { name += "." + el.className.trim().split(/\s+/).join("."); }
    if (el.name) { name += "[name=" + el.name + "]"; }
    var text = (el.innerText || el.value || "").trim().slice(0, 20);
    return text ? name + " 「" + text + "」" : name;
  }

  // What sticks out on the right of the screen (the outermost such elements, for the report).
  function tooWide() {
    var found = [];
    document.querySelectorAll("body *").forEach(function (el) {
      if (!rendered(el) || el.getBoundingClientRect().right <= innerWidth + 0.5) { return; }
      if (found.some(function (outer) { return outer.contains(el); })) { return; }
      found.push(el);
    });
    return found.slice(0, 5).map(function (el) {
      return describe(el) + " right=" + Math.round(el.getBoundingClientRect().right);
    });
  }

  var CONTROLS = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, button, .button";
  var TICKS = "input[type=checkbox], input[type=radio]";

  // The page's width, and on a touch screen the size of every control a finger must hit.
  function layout(args) {
    var touch = args[0], min = args[1], tick = args[2], problems = [];
    var width = document.documentElement.scrollWidth;
    if (width > innerWidth) {
      problems.push("the page scrolls sideways: " + width + " > " + innerWidth + " px; " + tooWide().join(", "));
    }
    if (!touch) { return problems; }
    document.querySelectorAll(CONTROLS).forEach(function (el) {
      var box = el.getBoundingClientRect();
      if (rendered(el) && box.height < min - 0.5) {
        problems.push(describe(el) + " is " + Math.round(box.height) + " px high (touch: " + min + ")");
      }
    });
    document.querySelectorAll(TICKS).forEach(function (el) {
      var box = el.getBoundingClientRect();
      if (rendered(el) && (box.height < tick - 0.5 || box.width < tick - 0.5)) {
        problems.push(describe(el) + " is " + Math.round(box.width) + "×" + Math.round(box.height) + " px (touch: " + tick + ")");
      }
    });
    return problems;
  }

  // The top navigation's links and menu buttons shown now: on the screen, their names on one line,
  // on a touch screen high enough for a finger.
  function navigation(args) {
    var touch = args[0], min = args[1], problems = [];
    var nav = document.querySelector("header nav");
    if (!nav) { return ["no navigation in the page's header"]; }
    nav.querySelectorAll("a, summary").forEach(function (el) {
      if (!rendered(el)) { return; }
      var box = el.getBoundingClientRect(), style = getComputedStyle(el);
      if (box.left < -0.5 || box.right > innerWidth + 0.5 || box.top < -0.5 || box.bottom > innerHeight + 0.5) {
        problems.push(describe(el) + " is off the screen (" + Math.round(box.left) + "–" + Math.round(box.right) + " px)");
      } else {
        var hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        if (!hit || !(el === hit || el.contains(hit))) { problems.push(describe(el) + " is covered by " + (hit ? describe(hit) : "nothing")); }
      }
      var line = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
      var text = document.createRange();
      text.selectNodeContents(el);
      if (text.getBoundingClientRect().height > 1.5 * line) {
        problems.push(describe(el) + " breaks over several lines");
      }
      if (touch && box.height < min - 0.5) {
        problems.push(describe(el) + " is " + Math.round(box.height) + " px high (touch: " + min + ")");
      }
    });
    return problems;
  }

  function named(ids) {
    return (ids || "").split(/\s+/).filter(Boolean).some(function (id) {
      var el = document.getElementById(id);
      return el && el.textContent.trim() !== "";
    });
  }

  // Every field (not hidden) with a label: <label for> or around it, aria-label or aria-labelledby.
  function unlabelled() {
    var fields = "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]), select, textarea";
    var missing = [];
    document.querySelectorAll(fields).forEach(function (el) {
      if (el.closest("[hidden]")) { return; }
      var byLabel = Array.prototype.some.call(el.labels || [], function (l) { return l.textContent.trim() !== ""; });
      var byAria = (el.getAttribute("aria-label") || "").trim() !== "" || named(el.getAttribute("aria-labelledby"));
      if (!byLabel && !byAria) { missing.push(describe(el)); }
    });
    return missing;
  }

  // axe-core (added to the page beforehand), limited to the given rule tags: the violations.
  function runAxe(tags) {
    return window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })
      .then(function (results) {
        return results.violations.map(function (v) {
          return { id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 8).map(function (n) {
            return n.target.join(" ") + " — " + n.failureSummary.replace(/\s+/g, " ").slice(0, 240);
          }) };
        });
      });
  }

  function rgba(text) {
    var m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) { return null; }
    var p = m[1].split(/[\s,/]+/).filter(Boolean).map(parseFloat);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  }

  function luminance(c) {
    var lin = [c.r, c.g, c.b].map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  }

  function behind(el) {
    for (var node = el.parentElement; node; node = node.parentElement) {
      var c = rgba(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0.5) { return c; }
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  }

  // The element with the focus: what it is, whether it is in the page's content, and its focus ring
  // (an outline of 2 px or more whose colour stands out from the background around it).
  function focusRing(min) {
    var el = document.activeElement, style = getComputedStyle(el);
    var ring = rgba(style.outlineColor), width = parseFloat(style.outlineWidth) || 0;
    var around = behind(el), problem = "";
    if (style.outlineStyle === "none" || width < 2 || !ring || ring.a === 0) {
      problem = "no focus ring (outline " + style.outlineStyle + " " + style.outlineWidth + ")";
    } else {
      var a = luminance(ring), b = luminance(around);
      var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < min) { problem = "focus ring " + style.outlineColor + " on " + JSON.stringify(around) + ": " + ratio.toFixed(2) + ":1"; }
    }
    return { tag: el.tagName, text: (el.innerText || el.value || "").trim(), what: describe(el),
             inMain: !!el.closest("main"), problem: problem };
  }

  return { layout: layout, navigation: navigation, unlabelled: unlabelled, axe: runAxe, focusRing: focusRing };
})();
