// Import/Export page: confirm the import, follow a job's progress, and download
// a finished export. Plain JavaScript, no build step.
(function () {
  "use strict";

  var form = document.getElementById("import-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      var host = form.elements["confirm_host"].value;
      if (!window.confirm("Replace ALL data on " + host + " with the uploaded export? This cannot be undone.")) {
        ev.preventDefault();
        return;
      }
      var btn = document.getElementById("import-button");
      btn.disabled = true;
      btn.textContent = "Uploading…";
    });
  }

  var job = document.getElementById("job");
  if (!job) return;
  var id = job.dataset.jobId;
  var created = parseInt(job.dataset.created, 10);
  var finished = parseInt(job.dataset.finished, 10);
  var wasDone = job.dataset.done === "true";

  function human(n) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + units[i];
  }
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
    set("job-phase", st.phase || "–");
    set("job-table", st.table || "–");
    set("job-rows", (st.rows_done || 0).toLocaleString("en"));
    set("job-bytes", human(st.bytes_done || 0) + (st.bytes_total ? " of " + human(st.bytes_total) : ""));
    var end = st.done ? (finished || Date.now()) : Date.now();
    if (created) set("job-elapsed", elapsed(end - created));
    var pct = st.succeeded ? 100 : (st.bytes_total ? Math.min(99, 100 * st.bytes_done / st.bytes_total) : 0);
    var bar = document.getElementById("job-bar");
    bar.style.width = pct.toFixed(1) + "%";
    bar.classList.toggle("indeterminate", !st.done && !st.bytes_total);
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
      window.location.replace("/admin/data?job=" + encodeURIComponent(id));
    }
  }
  function poll() {
    fetch("/admin/data/jobs/" + encodeURIComponent(id), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (st) {
        if (st.error && st.state === undefined) throw new Error(st.error);
        show(st);
        if (st.done) { finish(st); return; }
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
