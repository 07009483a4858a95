// Import from production storage: confirm, naming the instance the import
// replaces and the export chosen. Plain JavaScript, no build step.
(function () {
  "use strict";

  var form = document.getElementById("import-source-form");
  if (!form) return;
  form.addEventListener("submit", function (ev) {
    var host = document.getElementById("source-expected-host").textContent;
    var chosen = form.querySelector("input[name=source_key]:checked");
    var name = chosen ? chosen.getAttribute("aria-label") : "the chosen export";
    if (!window.confirm("Replace ALL data on " + host + " with " + name + " from production storage? This cannot be undone.")) {
      ev.preventDefault();
      return;
    }
    var btn = document.getElementById("import-source-button");
    btn.disabled = true;
    btn.textContent = "Starting…";
  });
})();
