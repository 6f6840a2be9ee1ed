// Oversight and model pages: follow a background job (rollup rebuild, hotspot analysis,
// retraining) with a progress
// bar, then reload the page without the ?job= parameter once it has finished.
(function () {
  "use strict";
  var box = document.querySelector(".job[data-job-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector(".job-text");

  function capital(word) { return word.charAt(0).toUpperCase() + word.slice(1); }

  function done() {
    var url = new URL(window.location.href);
    url.searchParams.delete("job");
    window.location.replace(url.toString());
  }

  function show(state) {
    var progress = state.progress;
    if (progress && progress.total) {
      bar.value = Math.round(100 * progress.done / progress.total);
    }
    var label = box.dataset["text" + capital(state.status)];
    var detail = progress && progress.total ? " " + progress.done + " / " + progress.total : "";
    // a job that names its stages (retraining) shows the stage in words and a percentage
    var stage = progress && progress.stage ? box.dataset["stage" + capital(progress.stage)] : null;
    if (stage && progress.total) {
      detail = " · " + stage + " " + Math.round(100 * progress.done / progress.total) + "%";
    }
    text.textContent = (label || state.status) + (state.status === "started" ? detail : "");
    if (state.error) { text.textContent += " " + state.error; }
  }

  function poll() {
    fetch(box.dataset.jobUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        show(state);
        if (state.status === "finished") { bar.value = 100; setTimeout(done, 600); return; }
        if (state.status === "failed" || state.status === "unknown" ||
            state.status === "stopped" || state.status === "canceled") { return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
