// The bulk send page's live progress: reads our own JSON every 2 s until the batch is done.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("bulk-progress");
    if (!box || box.dataset.final === "true") { return; }
    var bar = document.getElementById("bulk-bar");
    function show(data) {
      bar.value = data.percent;
      bar.textContent = data.percent + "%";
      box.querySelectorAll("[data-field]").forEach(function (el) {
        var value = data[el.dataset.field];
        if (value !== undefined) { el.textContent = String(value); }
      });
      box.dataset.final = data.final ? "true" : "false";
    }
    function tick() {
      fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          show(data);
          // Fast while DocuSign creates the envelopes, gently while people sign them.
          if (!data.final) { setTimeout(tick, data.status === "finished" ? 5000 : 2000); }
        })
        .catch(function () { setTimeout(tick, 5000); });
    }
    setTimeout(tick, 1000);
  }
  document.addEventListener("DOMContentLoaded", start);
})();

// The example CSV link follows the chosen template.
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("bulk-form");
    var link = document.getElementById("example-link");
    if (!form || !link) { return; }
    function update() {
      var data = new FormData(form);
      var query = new URLSearchParams();
      if (data.get("source") === "template") {
        query.set("connection", data.get("connection") || "");
        query.set("docusign_template", data.get("docusign_template") || "");
      } else {
        query.set("document_template", data.get("document_template") || "");
      }
      link.href = link.dataset.base + "?" + query.toString();
    }
    form.addEventListener("change", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", start);
})();
