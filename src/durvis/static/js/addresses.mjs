// The address autocomplete (A9): the ARIA 1.2 combobox pattern with a list popup
// (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/). The input keeps the focus; the
// options are announced through aria-activedescendant; Down/Up move among them, Enter on the
// highlighted option chooses it (as a click does; in a form it fills the field and keeps the
// code, on the search page `data-submit-on-choose` then shows the chosen address), Enter with no
// option highlighted is the form's own Enter (the plain search, or the form's submit), Escape
// closes the list (a second Escape clears the input), Tab leaves. The answers come from
// GET /api/v1/addresses (the standard text, the register code, the coordinates). Without
// JavaScript the markup stays a plain text input, and the page offers its plain search.
const DELAY_MS = 150;
const LIMIT = 8;

function enhance(box) {
  const input = box.querySelector("[data-combobox-input]");
  const list = box.querySelector("[role=listbox]");
  const status = box.querySelector("[data-combobox-status]");
  const code = box.querySelector("[data-combobox-code]");
  if (!input || !list || box.dataset.enhanced) return;
  box.dataset.enhanced = "1";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  const form = input.form;
  for (const fallback of (form || box).querySelectorAll(`[data-combobox-fallback="${input.name}"]`)) {
    fallback.hidden = true; // the plain search's button: the list does its work now
  }
  let items = [];
  let active = -1;
  let timer = 0;
  let controller = null;

  const say = (text) => { if (status) status.textContent = text; };
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    active = index;
    [...list.children].forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (index >= 0 && list.children[index]) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };
  const choose = (index) => {
    const item = items[index];
    if (!item) return;
    input.value = item.text;
    if (code) code.value = String(item.code);
    close();
    say(box.dataset.chosen.replace("{address}", item.text));
    box.dispatchEvent(new CustomEvent("durvis:address", { bubbles: true, detail: item }));
    if (box.hasAttribute("data-post-to-parent") && window.parent !== window) {
      window.parent.postMessage({ type: "durvis.address", code: item.code, text: item.text,
                                  lat: item.lat, lon: item.lon }, "*");
    }
    if (box.hasAttribute("data-submit-on-choose") && form) {
      form.requestSubmit(); // the search page: show the chosen address (its code is posted)
    }
  };
  const render = () => {
    list.replaceChildren(...items.map((item, i) => {
      const option = document.createElement("li");
      option.id = `${list.id}-${i}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.className = "durvis-combobox__option";
      option.textContent = item.text;
      option.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus
      option.addEventListener("click", () => choose(i));
      return option;
    }));
    active = -1;
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", String(items.length > 0));
    input.removeAttribute("aria-activedescendant");
  };
  const lookup = async () => {
    const q = input.value.trim();
    if (controller) controller.abort();
    if (q.length < 2) { items = []; render(); return; }
    controller = new AbortController();
    try {
      const params = new URLSearchParams({ q, limit: String(LIMIT) });
      const response = await fetch(`${box.dataset.source}?${params}`, {
        signal: controller.signal, headers: { Accept: "application/json" } });
      items = response.ok ? (await response.json()).items : [];
    } catch (error) {
      if (error.name === "AbortError") return;
      items = [];
    }
    render();
    say(items.length ? box.dataset.found.replace("{count}", String(items.length)) : box.dataset.none);
  };

  input.addEventListener("input", () => {
    if (code) code.value = "";
    window.clearTimeout(timer);
    timer = window.setTimeout(lookup, DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden;
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      if (!open) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight(active < items.length - 1 ? active + 1 : 0);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      if (!open) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight(active > 0 ? active - 1 : items.length - 1);
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault(); // chooses, does not submit the form
      choose(active);
    } else if (event.key === "Escape") {
      if (open) { event.preventDefault(); close(); } else if (input.value) { input.value = ""; if (code) code.value = ""; }
    } else if (event.key === "Tab") {
      close();
    }
  });
  input.addEventListener("blur", () => close());
}

for (const box of document.querySelectorAll("[data-address-combobox]")) enhance(box);
