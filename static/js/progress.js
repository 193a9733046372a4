// Live progress for a submission's status page: polls the API every 2 s and reloads the
// page once the evaluation has finished, so the results are rendered by the server.
(function () {
  "use strict";
  var section = document.getElementById("progress");
  if (!section || section.hasAttribute("data-finished")) {
    return;
  }
  var url = section.getAttribute("data-progress-url");
  var bar = section.querySelector("progress");
  var finished = ["done", "failed", "cancelled"];

  function show(name, value) {
    var field = section.querySelector('[data-field="' + name + '"]');
    if (field) {
      field.textContent = value;
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (data) {
        bar.value = data.percent;
        show("status", data.status);
        show("percent", Math.round(data.percent));
        show("done", data.done);
        show("total", data.total);
        show("eta", data.eta_seconds ? ", about " + Math.round(data.eta_seconds) + " s left" : "");
        if (finished.indexOf(data.status) !== -1) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () {
        // A dropped request or a restarting server: keep trying at the same pace.
        window.setTimeout(poll, 2000);
      });
  }

  window.setTimeout(poll, 2000);
})();
