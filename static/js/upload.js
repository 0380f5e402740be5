// Evidence upload: several files, drag and drop, capture from the camera or microphone, a
// progress bar, and large files sent ahead in resumable pieces.
// Without this script the form is a plain multi-file upload and still works.
//
// Resumable pieces (tus 1.0.0, core + creation; server: portfolios/resumable_views.py):
//   POST   <data-resumable-url>   Upload-Length, Upload-Metadata "filename <base64>" -> 201 Location
//   PATCH  Location               Upload-Offset, application/offset+octet-stream, one CHUNK -> 204
//   HEAD   Location               -> Upload-Offset: after a failed PATCH (dropped connection,
//                                    server restart) ask where the server is and go on from there.
// The last piece answers Upload-Complete (the server checked the whole file) or 422 with why.
// The form then posts the upload's token (field "uploaded") in place of the file's bytes.
(() => {
  "use strict";

  const CHUNK = 5 * 1024 * 1024;
  const RETRIES = 8;
  const TUS = { "Tus-Resumable": "1.0.0" };
  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
  const base64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

  async function refusal(response) {
    try { return (await response.json()).error || `The server answered ${response.status}.`; }
    catch { return `The server answered ${response.status}.`; }
  }

  // Send one file in pieces; resolves to the upload's token. `progress(bytesSent)` after each.
  async function sendResumable(file, createUrl, csrf, progress) {
    const created = await fetch(createUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        ...TUS, "X-CSRFToken": csrf, "Upload-Length": String(file.size),
        "Upload-Metadata": `filename ${base64(file.name)}`,
      },
    });
    if (created.status !== 201) throw new Error(await refusal(created));
    const location = created.headers.get("Location");
    const token = created.headers.get("Upload-Token");
    let offset = 0;
    let failures = 0;
    while (true) {
      let response = null;
      try {
        response = await fetch(location, {
          method: "PATCH",
          credentials: "same-origin",
          headers: {
            ...TUS, "X-CSRFToken": csrf, "Upload-Offset": String(offset),
            "Content-Type": "application/offset+octet-stream",
          },
          body: file.slice(offset, offset + CHUNK),
        });
      } catch {
        response = null; // the connection dropped
      }
      if (response && response.status === 204) {
        failures = 0;
        offset = Number(response.headers.get("Upload-Offset"));
        progress(offset);
        if (response.headers.get("Upload-Complete") === "1") return token;
        continue;
      }
      if (response && response.status !== 409 && response.status < 500) {
        throw new Error(await refusal(response));
      }
      failures += 1;
      if (failures > RETRIES) {
        throw new Error(`${file.name}: the connection keeps dropping; nothing was saved. Please try again later.`);
      }
      await sleep(Math.min(1000 * 2 ** (failures - 1), 15000));
      try {
        const head = await fetch(location, {
          method: "HEAD", credentials: "same-origin", headers: { ...TUS, "X-CSRFToken": csrf },
        });
        if (head.ok) offset = Number(head.headers.get("Upload-Offset"));
        progress(offset);
      } catch {
        // Still offline: wait and ask again.
      }
    }
  }

  // Capture a photo, or record audio or video, into a File; `status` says what is happening.
  function setUpCapture(form, addFiles) {
    const box = form.querySelector("[data-capture]");
    const fallback = form.querySelector("[data-capture-fallback]");
    if (!box) return;
    const supported = navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder;
    if (!supported) return; // the fallback input (capture attribute) stays
    box.classList.remove("d-none");
    // Recording here instead: the camera input goes (one file input on the page, not two).
    if (fallback) fallback.remove();
    const preview = box.querySelector("[data-capture-preview]");
    const controls = box.querySelector("[data-capture-controls]");
    const stopButton = box.querySelector("[data-capture-stop]");
    const cancelButton = box.querySelector("[data-capture-cancel]");
    const status = box.querySelector("[data-capture-status]");
    const starters = [...box.querySelectorAll("[data-capture-kind]")];
    let stream = null;
    let recorder = null;
    let finish = null;

    const stamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
    const end = () => {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      stream = null; recorder = null; finish = null;
      preview.srcObject = null;
      preview.classList.add("d-none");
      controls.classList.add("d-none");
      starters.forEach((b) => { b.disabled = false; });
      status.textContent = "";
    };

    starters.forEach((button) => button.addEventListener("click", async () => {
      const kind = button.dataset.captureKind;
      try {
        stream = await navigator.mediaDevices.getUserMedia(
          kind === "audio" ? { audio: true } : kind === "video" ? { audio: true, video: true } : { video: true },
        );
      } catch (error) {
        status.textContent = `The ${kind === "audio" ? "microphone" : "camera"} could not be used (${error.name}). You can choose a file instead.`;
        controls.classList.remove("d-none");
        return;
      }
      starters.forEach((b) => { b.disabled = true; });
      controls.classList.remove("d-none");
      if (kind !== "audio") {
        preview.srcObject = stream;
        preview.classList.remove("d-none");
        await preview.play().catch(() => {});
      }
      if (kind === "photo") {
        stopButton.textContent = "Take the photo";
        status.textContent = "";
        finish = () => {
          const canvas = document.createElement("canvas");
          canvas.width = preview.videoWidth;
          canvas.height = preview.videoHeight;
          canvas.getContext("2d").drawImage(preview, 0, 0);
          canvas.toBlob((blob) => {
            if (blob) addFiles([new File([blob], `photo-${stamp()}.jpg`, { type: "image/jpeg" })]);
            end();
          }, "image/jpeg", 0.9);
        };
        return;
      }
      const chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
      recorder.addEventListener("stop", () => {
        const type = (recorder.mimeType || chunks[0]?.type || "").split(";")[0];
        if (finish && chunks.length) {
          const mp4 = type.includes("mp4");
          const extension = mp4 ? (kind === "audio" ? "m4a" : "mp4") : kind === "audio" && type.includes("ogg") ? "ogg" : "webm";
          const name = `${kind === "audio" ? "audio" : "video"}-${stamp()}.${extension}`;
          addFiles([new File(chunks, name, { type })]);
        }
        end();
      });
      stopButton.textContent = "Stop and add";
      status.textContent = "Recording…";
      finish = () => recorder.stop();
      recorder.start(1000);
    }));
    stopButton.addEventListener("click", () => { if (finish) finish(); });
    cancelButton.addEventListener("click", () => {
      finish = null;
      if (recorder && recorder.state !== "inactive") recorder.stop(); else end();
    });
  }

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

    // Add to what was already chosen rather than replacing it.
    const addFiles = (files) => {
      const merged = new DataTransfer();
      [...input.files, ...files].forEach((f) => merged.items.add(f));
      input.files = merged.files;
      render();
    };
    if (window.DataTransfer) {
      setUpCapture(form, addFiles);
      const fallback = form.querySelector("[data-capture-fallback] input[type=file]"); // if kept
      if (fallback) {
        fallback.addEventListener("change", () => {
          addFiles([...fallback.files]);
          fallback.value = "";
        });
      }
    }

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
        addFiles([...event.dataTransfer.files]);
      });
    }

    const resumableUrl = form.dataset.resumableUrl;
    const csrf = (form.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";

    // Files larger than one piece go ahead, resumably; the form then carries their tokens.
    const sendAhead = async (files) => {
      const total = files.reduce((sum, f) => sum + f.size, 0);
      let before = 0;
      const tokens = [];
      for (const file of files) {
        tokens.push(await sendResumable(file, resumableUrl, csrf, (sent) => {
          progress.value = Math.floor(((before + sent) * 100) / total);
          status.textContent = `Uploading ${file.name}: ${size(before + sent)} of ${size(total)} (${progress.value}%)`;
        }));
        before += file.size;
      }
      return tokens;
    };

    // The form's fields in page order (upload_complete stays last), the big files replaced
    // by their tokens.
    const formData = (small, tokens) => {
      const data = new FormData();
      let filesAdded = false;
      for (const [key, value] of new FormData(form)) {
        if (key === "files") {
          if (!filesAdded) {
            small.forEach((f) => data.append("files", f));
            tokens.forEach((t) => data.append("uploaded", t));
            filesAdded = true;
          }
          continue;
        }
        data.append(key, value);
      }
      return data;
    };

    form.addEventListener("submit", async (event) => {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      const found = problems();
      if (found.length) { showError(found); return; }
      showError([]);
      const chosen = [...input.files];
      const big = resumableUrl && window.fetch ? chosen.filter((f) => f.size > CHUNK) : [];
      const small = chosen.filter((f) => !big.includes(f));
      let tokens = [];
      if (big.length) {
        button.disabled = true;
        progress.value = 0;
        status.textContent = "Starting the upload…";
        progressBox.classList.remove("d-none");
        try {
          tokens = await sendAhead(big);
        } catch (error) {
          button.disabled = false;
          progressBox.classList.add("d-none");
          showError([error.message]);
          return;
        }
      }
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
      xhr.send(formData(small, tokens));
    });
  }

  document.querySelectorAll("form[data-upload-form]").forEach(setUp);
})();
