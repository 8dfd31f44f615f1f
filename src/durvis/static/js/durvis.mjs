// Starts GOV.UK Frontend's components (the mobile menu, the error summary's focus, ...).
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";
import "./addresses.mjs";

initAll();

// Tables reflow on a phone (durvis.scss): each cell is labelled with its column's heading.
for (const table of document.querySelectorAll(".durvis-content table")) {
  const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, index) => {
      if (!cell.hasAttribute("data-label") && headings[index] && cell.colSpan === 1) {
        cell.setAttribute("data-label", headings[index]);
      }
    });
  }
}

// Radios that reveal a part while checked (GOV.UK's conditional-reveal markup: an input's
// data-aria-controls names its govuk-radios__conditional part), marked data-durvis-reveal instead
// of data-module="govuk-radios": GOV.UK's own script also puts aria-expanded on each radio, which
// ARIA does not allow there and axe-core refuses (govuk-frontend issue 979). Without JavaScript
// every part is shown.
for (const group of document.querySelectorAll(".govuk-radios[data-durvis-reveal]")) {
  const radios = [...group.querySelectorAll("input[type=radio]")];
  const sync = () => {
    for (const radio of radios) {
      const part = radio.dataset.ariaControls && document.getElementById(radio.dataset.ariaControls);
      if (part) part.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
    }
  };
  for (const radio of radios) {
    if (radio.dataset.ariaControls) radio.setAttribute("aria-controls", radio.dataset.ariaControls);
  }
  group.addEventListener("change", sync);
  window.addEventListener("pageshow", sync);
  sync();
}

// A filter above a long list of checkboxes (the mandate forms' services): typing narrows the
// list to the items whose label holds every word typed (letters compared without their
// diacritics: "berna" finds "bērna"); chosen items stay; a group left empty hides; the number
// shown is announced. Without JavaScript the box stays hidden and the whole grouped list is used.
const folded = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
for (const box of document.querySelectorAll("[data-filter-list]")) {
  const list = document.getElementById(box.dataset.filterList);
  const input = box.querySelector("input");
  const count = box.querySelector("[aria-live]");
  if (!list || !input) continue;
  box.hidden = false;
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault(); // not a submit of the whole form
  });
  input.addEventListener("input", () => {
    const words = folded(input.value).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const item of list.querySelectorAll(".govuk-checkboxes__item")) {
      const text = folded(item.textContent);
      const match = item.querySelector("input").checked || words.every((w) => text.includes(w));
      item.style.display = match ? "" : "none";
      if (match) shown += 1;
    }
    for (const group of list.querySelectorAll("fieldset")) {
      const any = [...group.querySelectorAll(".govuk-checkboxes__item")]
        .some((item) => item.style.display !== "none");
      group.style.display = any ? "" : "none";
    }
    if (count) count.textContent = words.length ? box.dataset.countTemplate.replace("{count}", shown) : "";
  });
}
