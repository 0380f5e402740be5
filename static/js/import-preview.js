// Specification import preview: add a row, and split a row at the cursor.
// Without this script the preview still works: a new line in a row's text that starts with a
// criterion number ("1.3 Describe ...") is split into its own row when the form is saved.
(() => {
  "use strict";

  function nextNumber(number) {
    const match = /^(.*?)(\d+)$/.exec(number.trim());
    return match ? `${match[1]}${Number(match[2]) + 1}` : "";
  }

  function addRow(prefix, after, values) {
    const table = document.querySelector(`[data-import-rows="${prefix}"]`);
    const template = document.querySelector(`template[data-empty-row="${prefix}"]`);
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    if (!table || !template || !total) return null;
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    const body = table.querySelector("tbody");
    body.insertAdjacentHTML("beforeend", html);
    const row = body.lastElementChild;
    if (after) after.after(row);
    total.value = String(index + 1);
    for (const [name, value] of Object.entries(values || {})) {
      const field = row.querySelector(`[name="${prefix}-${index}-${name}"]`);
      if (field) field.value = value;
    }
    setUpRow(prefix, row);
    return row;
  }

  function field(row, name) {
    return row.querySelector(`[name$="-${name}"]`);
  }

  function setUpRow(prefix, row) {
    const button = row.querySelector("[data-split-row]");
    const text = field(row, "text");
    if (!button || !text) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const at = text.selectionStart ?? text.value.length;
      const rest = text.value.slice(at).trim();
      text.value = text.value.slice(0, at).trim();
      const added = addRow(prefix, row, {
        outcome: field(row, "outcome").value,
        number: nextNumber(field(row, "number").value),
        text: rest,
        grade: field(row, "grade").value,
      });
      if (added) field(added, "number").focus();
    });
  }

  function setUp() {
    document.querySelectorAll("[data-import-rows]").forEach((table) => {
      const prefix = table.dataset.importRows;
      table.querySelectorAll("[data-import-row]").forEach((row) => setUpRow(prefix, row));
    });
    document.querySelectorAll("[data-add-row]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => addRow(button.dataset.addRow, null, {}));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
