// Progressive enhancement only: every page works without this file.
import { initAll } from "./govuk-frontend.min.js";

initAll();

// Drag and drop for upload forms, with a progress bar and an outcome per file. The plain form
// (a file input and a submit button) keeps working without this; here each file is sent as
// its own request to the same URL, asking for JSON, so one refusal does not hold up the rest.
for (const form of document.querySelectorAll("form[data-vir-upload]")) {
  enhanceUpload(form);
}

function enhanceUpload(form) {
  const input = form.querySelector('input[type="file"]');
  if (!input || !window.FormData || !window.XMLHttpRequest || !window.DataTransfer) return;
  const text = JSON.parse(form.dataset.virUpload);
  const group = input.closest(".govuk-form-group") || input;

  const zone = document.createElement("div");
  zone.className = "vir-dropzone";
  const hint = document.createElement("p");
  hint.className = "govuk-body vir-dropzone__hint";
  hint.textContent = text.drop;
  group.parentNode.insertBefore(zone, group);
  zone.append(hint, group);

  const list = document.createElement("ul");
  list.className = "govuk-list vir-upload-list";
  const live = document.createElement("p");
  live.className = "govuk-body vir-upload-status";
  live.setAttribute("role", "status");
  form.after(live);
  form.after(list);

  let chosen = [];
  // With several files, each gets its own category, starting from the form's choice.
  const template = form.querySelector('select[name="category"]');
  let categories = new Map();

  const show = () => {
    categories = new Map();
    list.replaceChildren(...chosen.map((file, i) => {
      const item = document.createElement("li");
      item.className = "vir-upload-choice";
      const name = document.createElement("span");
      name.textContent = file.name;
      item.append(name);
      if (template && chosen.length > 1) {
        const select = template.cloneNode(true);
        select.id = `vir-upload-category-${i}`;
        select.removeAttribute("name");
        select.removeAttribute("aria-describedby");
        select.value = template.value;
        select.classList.add("vir-upload-category");
        const label = document.createElement("label");
        label.className = "govuk-visually-hidden";
        label.htmlFor = select.id;
        label.textContent = text.categoryFor.replace("{file}", file.name);
        item.append(" ", label, select);
        categories.set(file, select);
      }
      return item;
    }));
    live.textContent = chosen.length ? text.ready.replace("{num}", chosen.length) : "";
  };

  input.addEventListener("change", () => { chosen = Array.from(input.files); show(); });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("vir-dropzone--active");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("vir-dropzone--active"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("vir-dropzone--active");
    chosen = chosen.concat(Array.from(event.dataTransfer.files || []));
    show();
  });

  form.addEventListener("submit", async (event) => {
    if (!chosen.length) return; // let the server say a file is needed
    event.preventDefault();
    const button = form.querySelector('button[type="submit"], input[type="submit"]');
    if (button) button.disabled = true;
    const files = chosen;
    const picked = new Map([...categories].map(([file, select]) => [file, select.value]));
    chosen = [];
    list.replaceChildren();
    let accepted = 0;
    for (const file of files) {
      const ok = await send(file, files.length === 1, picked.get(file));
      if (ok) accepted += 1;
    }
    live.textContent = text.done
      .replace("{accepted}", accepted)
      .replace("{refused}", files.length - accepted);
    if (button) button.disabled = false;
    input.value = "";
    if (accepted) await refreshDocuments();
  });

  function send(file, single, category) {
    const item = document.createElement("li");
    item.className = "vir-upload-item";
    const name = document.createElement("span");
    name.className = "govuk-!-font-weight-bold";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", text.uploading.replace("{file}", file.name));
    const outcome = document.createElement("span");
    outcome.className = "vir-upload-outcome";
    item.append(name, " ", bar, " ", outcome);
    list.append(item);

    const data = new FormData(form);
    data.delete("files");
    if (!single) data.delete("title"); // several files: each takes its own name
    data.append("files", file, file.name);
    if (category) data.set("category", category);
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      request.addEventListener("load", () => {
        bar.value = 100;
        let body = null;
        try { body = JSON.parse(request.responseText); } catch { body = null; }
        const result = body && body.outcomes && body.outcomes[0];
        if (result && result.ok) {
          tag(outcome, text.accepted, "govuk-tag--green");
          const link = document.createElement("a");
          link.className = "govuk-link";
          link.href = result.url;
          link.textContent = result.title;
          outcome.append(" ", link);
          if (result.late) tag(outcome, text.late, "govuk-tag--orange");
          for (const warning of result.warnings || []) note(outcome, warning);
          resolve(true);
        } else {
          tag(outcome, text.refused, "govuk-tag--red");
          const reason = (result && result.message)
            || (body && body.errors && Object.values(body.errors).flat().join(" "))
            || (request.status === 413 ? text.tooLarge : text.failed);
          note(outcome, reason);
          resolve(false);
        }
      });
      request.addEventListener("error", () => {
        tag(outcome, text.refused, "govuk-tag--red");
        note(outcome, text.failed);
        resolve(false);
      });
      request.send(data);
    });
  }
}

// The folder's list of documents, fetched again and put in place of the one on the page, so
// what was just uploaded is listed without a reload.
async function refreshDocuments() {
  const current = document.getElementById("vir-documents");
  if (!current) return;
  try {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("vir-documents");
    if (fresh) current.replaceWith(document.adoptNode(fresh));
  } catch {
    // The outcome of each file is still shown; the list is as it was.
  }
}

function tag(parent, label, colour) {
  const element = document.createElement("strong");
  element.className = `govuk-tag ${colour}`;
  element.textContent = label;
  parent.append(" ", element);
}

function note(parent, message) {
  const element = document.createElement("span");
  element.className = "govuk-body-s vir-upload-note";
  element.textContent = message;
  parent.append(" ", element);
}
