// Import from production storage: confirm, naming the instance the import
// replaces and the export chosen. Plain JavaScript, no build step.
(function () {
  "use strict";

  var form = document.getElementById("import-source-form");
  if (!form) return;
  form.addEventListener("submit", function (ev) {
    var btn = ev.submitter || document.getElementById("import-source-button");
    // A preview changes nothing: it needs no confirmation.
    if (btn.id !== "preview-source-button") {
      var host = document.getElementById("source-expected-host").textContent;
      var chosen = form.querySelector("input[name=source_key]:checked");
      var name = chosen ? chosen.getAttribute("aria-label") : "the chosen export";
      if (!window.confirm("Replace ALL data on " + host + " with " + name + " from production storage? This cannot be undone.")) {
        ev.preventDefault();
        return;
      }
    }
    // The button's name and value (preview=1) are in the form's data only while it
    // is enabled: disable it once the submission has taken them.
    setTimeout(function () {
      document.getElementById("import-source-button").disabled = true;
      document.getElementById("preview-source-button").disabled = true;
      btn.textContent = "Starting…";
    }, 0);
  });
})();
