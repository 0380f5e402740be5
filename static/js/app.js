// Behaviour shared by every page. No inline scripts anywhere: the CSP forbids them.
document.addEventListener("click", (event) => {
  const trigger = event.target.closest("[data-confirm]");
  if (trigger && !window.confirm(trigger.dataset.confirm)) {
    event.preventDefault();
  }
});

// A table wider than the screen scrolls sideways in its .table-responsive box; keyboard users
// can only scroll a box that takes focus (WCAG 2.1.1), so such a box becomes a named, focusable
// region while it overflows, and stops being one when the window grows.
function labelScrollingTables(root) {
  root.querySelectorAll(".table-responsive").forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      const table = box.querySelector("table");
      const caption = table && table.caption ? table.caption.textContent.trim() : "";
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", caption || "Table (scrolls sideways)");
      box.dataset.scrollRegion = "";
    } else if (!scrolls && "scrollRegion" in box.dataset) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      delete box.dataset.scrollRegion;
    }
  });
}
document.addEventListener("DOMContentLoaded", () => labelScrollingTables(document));
document.addEventListener("htmx:afterSettle", (event) => labelScrollingTables(event.target));
window.addEventListener("resize", () => labelScrollingTables(document));

// A fragment asked for after the session ended (signed out in another tab) comes back as the
// sign-in page: never put a whole page, form and all, into the navigation bar or a table cell.
document.addEventListener("htmx:beforeSwap", (event) => {
  const login = document.body.dataset.loginUrl;
  const answered = event.detail.xhr && event.detail.xhr.responseURL;
  if (login && answered && new URL(answered).pathname === login) {
    event.detail.shouldSwap = false;
  }
});
