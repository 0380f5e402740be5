// Evidence upload: several files, drag and drop, and a progress bar.
// Without this script the form is a plain multi-file upload and still works.
(() => {
  "use strict";

  const UNITS = ["bytes", "KB", "MB", "GB"];
  const size = (n) => {
    let i = 0;
    while (n >= 1024 && i < UNITS.length - 1) { n /= 1024; i += 1; }
    return `${i ? n.toFixed(1) : n} ${UNITS[i]}`;
  };

  function setUp(form) {
    const input = form.querySelector("input[type=file][multiple]");
    if (!input || form.dataset.uploadReady) return;
    form.dataset.uploadReady = "1";
    const zone = form.querySelector("[data-drop-zone]");
    const list = form.querySelector("[data-file-list]");
    const progressBox = form.querySelector("[data-upload-progress]");
    const progress = progressBox.querySelector("progress");
    const status = form.querySelector("[data-upload-status]");
    const errorBox = form.querySelector("[data-upload-error]");
    const button = form.querySelector("[data-upload-submit]");
    const maxBytes = Number(input.dataset.maxBytes || 0);
    const maxFiles = Number(input.dataset.maxFiles || 0);

    const problems = () => {
      const files = [...input.files];
      const found = files.filter((f) => maxBytes && f.size > maxBytes)
        .map((f) => `${f.name} is ${size(f.size)}; the limit is ${size(maxBytes)} a file.`);
      files.filter((f) => f.size === 0).forEach((f) => found.push(`${f.name} is empty.`));
      if (maxFiles && files.length > maxFiles) {
        found.push(`${files.length} files chosen; at most ${maxFiles} can be added at once.`);
      }
      return found;
    };

    const showError = (messages) => {
      errorBox.replaceChildren(...messages.map((m) => {
        const div = document.createElement("div");
        div.textContent = m;
        return div;
      }));
      errorBox.classList.toggle("d-none", messages.length === 0);
    };

    const render = () => {
      list.replaceChildren(...[...input.files].map((f) => {
        const li = document.createElement("li");
        li.className = "list-group-item d-flex justify-content-between gap-2";
        const name = document.createElement("span");
        name.className = "text-break";
        name.textContent = f.name;
        const bytes = document.createElement("span");
        bytes.className = "text-muted text-nowrap";
        bytes.textContent = size(f.size);
        li.append(name, bytes);
        return li;
      }));
      showError(problems());
    };

    input.addEventListener("change", render);

    if (zone && window.DataTransfer) {
      ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (event) => {
        event.preventDefault();
        zone.classList.add("drop-zone-active");
      }));
      ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => {
        zone.classList.remove("drop-zone-active");
      }));
      zone.addEventListener("drop", (event) => {
        event.preventDefault();
        // Add to what was already chosen rather than replacing it.
        const merged = new DataTransfer();
        [...input.files, ...event.dataTransfer.files].forEach((f) => merged.items.add(f));
        input.files = merged.files;
        render();
      });
    }

    form.addEventListener("submit", (event) => {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      const found = problems();
      if (found.length) { showError(found); return; }
      showError([]);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        progress.value = Math.floor((e.loaded * 100) / e.total);
        status.textContent = `Uploading: ${size(e.loaded)} of ${size(e.total)} (${progress.value}%)`;
      });
      xhr.upload.addEventListener("load", () => {
        progress.value = 100;
        status.textContent = "Checking and saving the files…";
      });
      xhr.addEventListener("load", () => {
        const type = xhr.getResponseHeader("Content-Type") || "";
        if (xhr.status === 200 && type.startsWith("application/json")) {
          window.location.assign(JSON.parse(xhr.responseText).redirect);
          return;
        }
        if ((xhr.status === 400 || xhr.status === 413) && type.startsWith("text/html")) {
          // The server's own page with its error messages: swap the form in place.
          const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
          const fresh = page.querySelector("[data-upload-card]");
          const card = form.closest("[data-upload-card]");
          if (fresh && card) {
            card.replaceWith(fresh);
            document.querySelectorAll("form[data-upload-form]").forEach(setUp);
            return;
          }
        }
        done();
        showError([`The server answered ${xhr.status}; nothing was saved. Please try again.`]);
      });
      const failed = () => {
        done();
        showError(["The upload stopped before it finished (was the connection lost?). Nothing was saved; please try again."]);
      };
      xhr.addEventListener("error", failed);
      xhr.addEventListener("abort", failed);
      const done = () => {
        button.disabled = false;
        progressBox.classList.add("d-none");
      };
      button.disabled = true;
      progress.value = 0;
      status.textContent = "Starting the upload…";
      progressBox.classList.remove("d-none");
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload-form]").forEach(setUp);
})();
