// Compose page: add and remove recipient rows (Django formset numbering).
"use strict";
(function () {
  const table = document.getElementById("recipients");
  const total = document.getElementById("id_r-TOTAL_FORMS");
  document.getElementById("add-recipient").addEventListener("click", function () {
    const rows = table.querySelectorAll("tr.recipient");
    const copy = rows[rows.length - 1].cloneNode(true);
    const index = Number(total.value);
    copy.querySelectorAll("input, select").forEach(function (el) {
      el.name = el.name.replace(/r-\d+-/, "r-" + index + "-");
      el.id = el.id.replace(/r-\d+-/, "r-" + index + "-");
      if (el.type === "checkbox") { el.checked = false; }
      else if (el.name.endsWith("routing_order")) { el.value = String(rows.length + 1); }
      else if (el.tagName === "INPUT") { el.value = ""; }
    });
    table.appendChild(copy);
    total.value = String(index + 1);
  });
  table.addEventListener("click", function (event) {
    if (!event.target.classList.contains("remove-recipient")) { return; }
    const rows = table.querySelectorAll("tr.recipient");
    if (rows.length > 1) { event.target.closest("tr").remove(); renumber(); }
  });
  function renumber() {
    table.querySelectorAll("tr.recipient").forEach(function (row, i) {
      row.querySelectorAll("input, select").forEach(function (el) {
        el.name = el.name.replace(/r-\d+-/, "r-" + i + "-");
        el.id = el.id.replace(/r-\d+-/, "r-" + i + "-");
      });
    });
    total.value = String(table.querySelectorAll("tr.recipient").length);
  }
})();
