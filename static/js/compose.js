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
    // A DocuSign template's roles are its recipients (rows in the template's panel).
    const people = document.getElementById("recipients-fieldset");
    const fromTemplate = Boolean(chosen && chosen.value === "template");
    people.hidden = fromTemplate;
    people.querySelectorAll("input, select").forEach(function (el) {
      if (el.type !== "hidden") { el.disabled = fromTemplate; }
    });
  }
  form.querySelectorAll("input[name=source]").forEach(function (radio) {
    radio.addEventListener("change", showChosenSource);
  });
  showChosenSource();

  // Chosen PDFs shown before anything is sent: read here, as a PDF (never as a page).
  const uploads = document.getElementById("id_uploads");
  const previews = document.getElementById("upload-previews");
  let shownUrls = [];
  function showUploads() {
    shownUrls.forEach(function (url) { URL.revokeObjectURL(url); });
    shownUrls = [];
    previews.replaceChildren();
    Array.from(uploads.files).forEach(function (file, index) {
      const item = document.createElement("div");
      item.className = "upload-preview";
      const title = document.createElement("h3");
      title.textContent = file.name;
      item.appendChild(title);
      previews.appendChild(item);
      file.slice(0, 5).text().then(function (head) {
        if (head === "%PDF-") {
          const url = URL.createObjectURL(new Blob([file], { type: "application/pdf" }));
          shownUrls.push(url);
          const frame = document.createElement("iframe");
          frame.className = "preview";
          frame.id = "upload-preview-" + index;
          frame.title = "Preview of " + file.name;
          frame.src = url;
          item.appendChild(frame);
        } else {
          const note = document.createElement("p");
          note.className = "helptext";
          note.textContent = "DocuSign converts this document to PDF when it receives it; "
            + "create a draft to see its conversion before sending.";
          item.appendChild(note);
        }
      });
    });
  }
  if (uploads && previews) { uploads.addEventListener("change", showUploads); }

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
