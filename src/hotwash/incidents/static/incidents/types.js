/**
 * Incident types on the declare form and the incident page, enhanced.
 * Progressive enhancement: without this file every type's fields show,
 * each in a fieldset naming its type, and the server reads only the
 * chosen type's. With it, only the chosen type's fieldset shows (the
 * others are hidden, not removed: choosing back keeps what was typed).
 * No build step, no dependencies.
 */

function chosenType(form) {
  const checked = form.querySelector("input[name=type]:checked");
  return checked ? checked.value : "";
}

function showChosenFields(form) {
  const chosen = chosenType(form);
  for (const fieldset of form.querySelectorAll("[data-type-fields]")) {
    fieldset.hidden = fieldset.dataset.typeFields !== chosen;
  }
  // The "only the chosen type's fields are used" hint is for pages
  // showing every type's fields; here only the chosen ones show.
  for (const hint of form.querySelectorAll("[data-type-fields-hint]")) {
    hint.hidden = true;
  }
}

// The incident page swaps its live regions for fresh copies (live.js),
// which show every type's fields again: treat each new form once.
function enhance() {
  for (const form of document.querySelectorAll("form[data-incident-type-form]:not([data-types-enhanced])")) {
    form.setAttribute("data-types-enhanced", "");
    form.addEventListener("change", (event) => {
      if (event.target instanceof HTMLInputElement && event.target.name === "type") {
        showChosenFields(form);
      }
    });
    showChosenFields(form);
  }
}

enhance();
new MutationObserver(enhance).observe(document.body, { childList: true, subtree: true });
