// The criteria picker: filter by words, and count what is ticked. No inline scripts (CSP).
(() => {
  "use strict";
  const form = document.querySelector("form[data-criteria-picker]");
  if (!form) return;
  const filter = form.querySelector("[data-criteria-filter]");
  const counter = form.querySelector("[data-selected-count]");
  const empty = form.querySelector("[data-filter-empty]");
  const rows = [...form.querySelectorAll("[data-filter-text]")];
  const groups = [...form.querySelectorAll("[data-filter-group]")].reverse();

  const count = () => {
    const n = form.querySelectorAll("input[type=checkbox][name=criteria]:checked").length;
    counter.textContent = `${n} selected`;
  };

  const apply = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach((row) => {
      const text = row.dataset.filterText;
      const match = words.every((w) => text.includes(w));
      row.classList.toggle("d-none", !match);
      shown += match;
    });
    // Innermost groups first (the list is reversed), so a unit hides only when all its
    // outcomes are hidden.
    groups.forEach((group) => {
      const visible = [...group.querySelectorAll("[data-filter-text]")].some(
        (row) => !row.classList.contains("d-none"),
      );
      group.classList.toggle("d-none", !visible);
    });
    empty.classList.toggle("d-none", shown > 0);
    // While filtering, open every unit that holds a match, so the match can be seen.
    if (words.length) {
      form.querySelectorAll("details.map-unit:not(.d-none)").forEach((unit) => {
        unit.open = true;
      });
    }
  };

  filter.addEventListener("input", apply);
  // Enter in the filter box filters; it must not submit the form.
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  form.addEventListener("change", count);
  count();
})();
