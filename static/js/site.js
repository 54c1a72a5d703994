// Site-wide behaviour (no inline scripts: the Content-Security-Policy forbids them).
(function () {
  "use strict";
  const announcer = document.getElementById("announcer");
  function announce(text) { if (announcer) { announcer.textContent = text; } }

  // Live statuses (htmx refreshes them): announce a change once, not every refresh.
  const last = {};
  function scan(initial) {
    document.querySelectorAll("[data-announce]").forEach(function (el) {
      const text = el.dataset.announce + ": " + el.textContent.trim();
      if (!initial && last[el.id] !== undefined && last[el.id] !== text) { announce(text); }
      last[el.id] = text;
    });
  }
  scan(true);
  document.body.addEventListener("htmx:afterSwap", function () { scan(false); });

  // Copy buttons: <button data-copy="element-id">.
  document.body.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) { return; }
    const source = document.getElementById(button.dataset.copy);
    navigator.clipboard.writeText(source.innerText.trim()).then(function () {
      button.textContent = "Copied";
      announce("Copied to the clipboard");
    }, function () {
      announce("Could not copy: select the text and copy it yourself");
    });
  });
})();
