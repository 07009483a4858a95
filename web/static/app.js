// Import/Export page: confirm the import, follow a job's progress, and download
// a finished export. Plain JavaScript, no build step.
(function () {
  "use strict";

  var form = document.getElementById("import-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      var btn = ev.submitter || document.getElementById("import-button");
      // A preview changes nothing: it needs no confirmation.
      if (btn.id !== "preview-button") {
        // The dialog names the instance the import replaces, whatever was typed:
        // the server compares the typed name with it.
        var host = document.getElementById("expected-host").textContent;
        if (!window.confirm("Replace ALL data on " + host + " with the uploaded export? This cannot be undone.")) {
          ev.preventDefault();
          return;
        }
      }
      // The button's own formaction must still reach the server once it is
      // disabled: disable it only after the submission has taken it.
      setTimeout(function () {
        document.getElementById("import-button").disabled = true;
        document.getElementById("preview-button").disabled = true;
        btn.textContent = "Uploading…";
      }, 0);
    });
  }

  var again = document.getElementById("preview-import-form");
  if (again) {
    again.addEventListener("submit", function (ev) {
      var host = again.querySelector(".expected-host").textContent;
      if (!window.confirm("Replace ALL data on " + host + " with the previewed export? This cannot be undone.")) {
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
