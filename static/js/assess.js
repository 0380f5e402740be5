// The tutor's assessment page: "mark all met" and single-key shortcuts.
// Keys act only when the person is not typing in a box, and can be turned off on the page
// (WCAG 2.1.4); the choice is remembered in this browser.
(() => {
  const form = document.querySelector("[data-assess-form]");
  if (!form) return;
  const rows = [...form.querySelectorAll("[data-criterion-row]")];
  const allMet = form.querySelector("[data-all-met]");
  const saveNext = form.querySelector("[data-save-next]");
  const help = form.querySelector("[data-shortcut-help]");
  const toggle = form.querySelector("[data-shortcuts-toggle]");
  const STORE = "assess-shortcuts";

  const choose = (row, value) => {
    const radio = row.querySelector(`input[type=radio][value="${value}"]`);
    if (radio) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return radio;
  };

  if (rows.length) {
    allMet.hidden = false;
    allMet.addEventListener("click", () => {
      rows.forEach((row) => choose(row, "met"));
      saveNext.focus();
    });
  }
  help.hidden = false;
  toggle.checked = window.localStorage.getItem(STORE) !== "off";
  toggle.addEventListener("change", () => {
    window.localStorage.setItem(STORE, toggle.checked ? "on" : "off");
  });

  // The criterion "you are on": the one holding focus, else the first without a choice.
  const current = () => {
    const focused = document.activeElement && document.activeElement.closest("[data-criterion-row]");
    if (focused) return focused;
    return rows.find((row) => !row.querySelector("input[type=radio]:checked:not([value=''])")) || rows[0];
  };

  const decide = (value) => {
    const row = current();
    if (!row) return;
    const radio = choose(row, value);
    const following = rows[rows.indexOf(row) + 1];
    if (value === "not_yet_met") {
      row.querySelector("textarea").focus(); // feedback is needed: say what is missing
    } else if (following) {
      following.querySelector("input[type=radio]:checked, input[type=radio]").focus();
    } else if (radio) {
      saveNext.focus();
    }
  };

  document.addEventListener("keydown", (event) => {
    if (!toggle.checked || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target.closest("textarea, select, input:not([type=radio]):not([type=checkbox])")) return;
    const key = event.key.toLowerCase();
    const actions = {
      m: () => decide("met"),
      n: () => decide("not_yet_met"),
      a: () => allMet.click(),
      s: () => saveNext.click(),
    };
    if (actions[key] && (rows.length || key === "s")) {
      event.preventDefault();
      actions[key]();
    }
  });
})();
