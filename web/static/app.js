// Import/Export page: confirm an import (of an upload, of an export in
// production's storage, of a previewed dump), follow a job's progress, and
// download a finished export. Plain JavaScript, no build step.
(function () {
  "use strict";

  // confirmReplace asks whether an import may replace all of this instance's
  // data. The dialog names the instance the import replaces, whatever was
  // typed: the server compares the typed name with it.
  function confirmReplace(host, what) {
    return window.confirm("Replace ALL data on " + host + " with " + what + "? This cannot be undone.");
  }

  // guardImport confirms an import form's import (a preview changes nothing: it
  // needs no confirmation) and disables its buttons once the submission has
  // taken the pressed one: its formaction, name and value reach the server only
  // while it is enabled. what names what the import reads.
  function guardImport(form, ids, what, busy) {
    form.addEventListener("submit", function (ev) {
      var btn = ev.submitter || document.getElementById(ids.button);
      if (btn.id !== ids.preview && !confirmReplace(document.getElementById(ids.host).textContent, what())) {
        ev.preventDefault();
        return;
      }
      setTimeout(function () {
        document.getElementById(ids.button).disabled = true;
        document.getElementById(ids.preview).disabled = true;
        btn.textContent = busy;
      }, 0);
    });
  }

  var upload = document.getElementById("import-form");
  if (upload) {
    guardImport(upload, { button: "import-button", preview: "preview-button", host: "expected-host" },
      function () { return "the uploaded export"; }, "Uploading…");
  }

  // An import from production storage names the export chosen.
  var source = document.getElementById("import-source-form");
  if (source) {
    guardImport(source, { button: "import-source-button", preview: "preview-source-button", host: "source-expected-host" },
      function () {
        var chosen = source.querySelector("input[name=source_key]:checked");
        return (chosen ? chosen.getAttribute("aria-label") : "the chosen export") + " from production storage";
      }, "Starting…");
  }

  var again = document.getElementById("preview-import-form");
  if (again) {
    again.addEventListener("submit", function (ev) {
      if (!confirmReplace(again.querySelector(".expected-host").textContent, "the previewed export")) {
        ev.preventDefault();
      }
    });
  }

  followHistory();
  var job = document.getElementById("job");
  if (!job) return;
  // The status route takes the number the page shows, the audit id.
  var auditId = job.dataset.auditId;
  var created = parseInt(job.dataset.created, 10);
  var finished = parseInt(job.dataset.finished, 10);
  var wasDone = job.dataset.done === "true";

  function elapsed(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var m = Math.floor(s / 60);
    return (m ? m + " min " : "") + (s % 60) + " s";
  }
  function set(idName, text) {
    var el = document.getElementById(idName);
    if (el) el.textContent = text;
  }
  function show(st) {
    set("job-state", st.state);
    // Figures come formatted from the server: one formatter for the page, the
    // JSON and the command line.
    set("job-phase", st.phase_label || "–");
    set("job-table", st.table || "–");
    set("job-rows", st.rows_text);
    set("job-bytes", st.bytes_text);
    set("job-percent", (st.percent || 0).toFixed(1) + " %");
    var end = st.done ? (finished || Date.now()) : Date.now();
    if (created) set("job-elapsed", elapsed(end - created));
    setBar(st.percent || 0, !st.done && !st.percent);
    var errBox = document.getElementById("job-error");
    if (st.done && !st.succeeded) {
      errBox.hidden = false;
      errBox.textContent = job.dataset.failed + (st.error || "");
    } else if (st.error && !st.done) {
      errBox.hidden = false;
      errBox.textContent = "Attempt " + st.attempt + " of " + st.max_attempts + " failed, retrying: " + st.error;
    }
  }
  function finish(st) {
    if (!st.succeeded) return;
    if (job.dataset.download === "true") {
      var url = "/admin/data/exports/" + st.audit_id + "/download";
      var done = document.getElementById("job-done");
      done.hidden = false;
      done.className = "alert success";
      done.innerHTML = 'Export ready: <a id="export-download" href="' + url + '">' + (st.file_name || "download") + "</a>";
      if (!wasDone) window.location.href = url;
    } else if (!wasDone) {
      // The page renders the result panel from the audit row.
      window.location.replace("/admin/data?job=" + encodeURIComponent(auditId));
    }
  }
  function setBar(pct, waiting) {
    var bar = document.getElementById("job-bar");
    bar.style.width = pct.toFixed(1) + "%";
    bar.classList.toggle("indeterminate", waiting);
  }
  function poll() {
    fetch("/admin/data/jobs/" + encodeURIComponent(auditId), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (st) {
        if (st.error && st.state === undefined) throw new Error(st.error);
        show(st);
        if (st.done) { finish(st); return; }
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setBar(parseFloat(document.getElementById("job-bar").dataset.percent) || 0, false);
  if (auditId && auditId !== "0") poll();

  // followHistory keeps the history table current while a job in it has not
  // ended: it reloads the page's own rendering of the table, so every figure and
  // time reads as the server formats it.
  function followHistory() {
    var history = document.getElementById("history");
    if (!history) return;
    function running() {
      return history.querySelector('tr[data-status="queued"], tr[data-status="running"]') !== null;
    }
    if (!running()) return;
    function refresh() {
      fetch("/admin/data", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("history");
          if (fresh) history.innerHTML = fresh.innerHTML;
          setTimeout(refresh, running() ? 1500 : 5000);
        })
        .catch(function () { setTimeout(refresh, 3000); });
    }
    setTimeout(refresh, 1500);
  }
})();
