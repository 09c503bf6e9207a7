// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // An error summary takes focus when the page loads, so screen readers announce it first.
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();

  // The case list's filters stand open beside the results on a wide screen (browsers that
  // cannot style ::details-content would otherwise show them closed there).
  var wide = window.matchMedia("(min-width: 50.0625rem)");
  document.querySelectorAll("details[data-open-when-wide]").forEach(function (details) {
    if (wide.matches) details.open = true;
  });

  // The evidence step: the proposed level follows the ticks as they change.
  var panel = document.querySelector("[data-evidence-levels]");
  if (panel) {
    var levels = JSON.parse(panel.getAttribute("data-evidence-levels"));
    var boxes = document.querySelectorAll("input[name='statements']");
    var update = function () {
      var level = 0;
      boxes.forEach(function (box) {
        if (box.checked) level = Math.max(level, parseInt(box.value, 10));
      });
      panel.querySelector("[data-evidence-level]").textContent = levels[level].name;
      panel.querySelector("[data-evidence-meaning]").textContent = levels[level].meaning;
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
  }

  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    // The button's words, in the page's language, come from the page (data-copied-label,
    // data-copy-label).
    var label = button.getAttribute("data-copy-label") || button.textContent;
    var copied = button.getAttribute("data-copied-label") || label;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        button.textContent = copied;
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();
