// Compose: one document source shown at a time; add and remove recipients.
(function () {
  "use strict";
  const form = document.getElementById("compose");
  if (!form) { return; }

  function showChosenSource() {
    const chosen = form.querySelector("input[name=source]:checked");
    form.querySelectorAll(".source").forEach(function (part) {
      part.hidden = !chosen || part.dataset.source !== chosen.value;
    });
  }
  form.querySelectorAll("input[name=source]").forEach(function (radio) {
    radio.addEventListener("change", showChosenSource);
  });
  showChosenSource();

  const list = document.getElementById("recipients");
  // Per recipient: show the access code or phone input only for the check chosen.
  function showChosenAuthentication(row) {
    const chosen = row.querySelector("select[name$='-authentication']");
    if (!chosen) { return; }
    row.querySelectorAll(".auth").forEach(function (part) {
      const typed = part.querySelector("input") && part.querySelector("input").value;
      part.hidden = !(part.classList.contains("auth-" + chosen.value) ||
        (chosen.value === "" && typed));
    });
  }
  list.querySelectorAll(".recipient").forEach(showChosenAuthentication);
  list.addEventListener("change", function (event) {
    if (event.target.name && event.target.name.endsWith("-authentication")) {
      showChosenAuthentication(event.target.closest(".recipient"));
    }
  });
  const total = document.getElementById("id_r-TOTAL_FORMS");
  function renumber(row, index) {
    row.querySelectorAll("input, select, label").forEach(function (el) {
      ["name", "id", "htmlFor"].forEach(function (attr) {
        if (el[attr]) { el[attr] = el[attr].replace(/r-\d+-/, "r-" + index + "-"); }
      });
    });
    row.setAttribute("aria-label", "Recipient " + (index + 1));
    const remove = row.querySelector(".remove-recipient");
    if (remove) { remove.textContent = "Remove recipient " + (index + 1); }
  }
  document.getElementById("add-recipient").addEventListener("click", function () {
    const rows = list.querySelectorAll(".recipient");
    const copy = rows[rows.length - 1].cloneNode(true);
    const index = Number(total.value);
    copy.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
    renumber(copy, index);
    copy.querySelectorAll("input, select").forEach(function (el) {
      if (el.type === "checkbox") { el.checked = false; }
      else if (el.name.endsWith("signer_user") || el.name.endsWith("authentication")) {
        el.selectedIndex = 0;
      }
      else if (el.name.endsWith("routing_order")) { el.value = String(rows.length + 1); }
      else if (el.tagName === "INPUT") { el.value = ""; }
    });
    list.appendChild(copy);
    showChosenAuthentication(copy);
    total.value = String(index + 1);
    copy.querySelector("input").focus();
  });
  list.addEventListener("click", function (event) {
    if (!event.target.classList.contains("remove-recipient")) { return; }
    const rows = list.querySelectorAll(".recipient");
    if (rows.length > 1) {
      event.target.closest(".recipient").remove();
      list.querySelectorAll(".recipient").forEach(renumber);
      total.value = String(list.querySelectorAll(".recipient").length);
    }
  });
})();
