// Starts GOV.UK Frontend's components (the mobile menu, the error summary's focus, ...).
import { initAll } from "../vendor/govuk/govuk-frontend.min.js";

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
