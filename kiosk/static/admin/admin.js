/* Admin pages: ask before an irreversible form (disable a user). */
"use strict";
document.querySelectorAll("form[data-confirm]").forEach((form) =>
  form.addEventListener("submit", (e) => {
    if (!window.confirm(form.dataset.confirm)) e.preventDefault();
  }),
);
