/* The guide's on-screen keyboard for touch kiosks without one (only rendered on an enrolled
 * kiosk, whose inputs have inputmode="none"). Search ignores accents, so A–Z and digits are
 * enough. Keys act on pointerdown and keep the focus in the input. */
(() => {
  "use strict";

  const board = document.getElementById("keyboard");
  if (!board) {
    window.GuideKeyboard = { hide() {} };
    return;
  }
  let target = null;

  function show(input) {
    target = input;
    board.hidden = false;
    document.body.classList.add("with-keyboard");
    input.scrollIntoView({ block: "center" });
  }

  function hide() {
    board.hidden = true;
    document.body.classList.remove("with-keyboard");
    if (target) target.blur();
    target = null;
  }

  function type(key) {
    const input = target;
    if (!input) return;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    let value = input.value;
    let caret = start;
    if (key === "back") {
      if (start === end && start > 0) {
        value = value.slice(0, start - 1) + value.slice(end);
        caret = start - 1;
      } else {
        value = value.slice(0, start) + value.slice(end);
      }
    } else if (key === "clear") {
      value = "";
      caret = 0;
    } else if (key === "done") {
      const form = input.form;
      hide();
      if (form && form.dataset.form === "lookup") form.requestSubmit();
      return;
    } else {
      const limit = input.maxLength > 0 ? input.maxLength : Infinity;
      if (value.length - (end - start) >= limit) return;
      // Capitals only where they belong (a dossier code); a search reads better in lower case.
      const ch = input.getAttribute("autocapitalize") === "characters" ? key : key.toLowerCase();
      value = value.slice(0, start) + ch + value.slice(end);
      caret = start + ch.length;
    }
    input.value = value;
    input.setSelectionRange?.(caret, caret);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  board.addEventListener("pointerdown", (event) => {
    const key = event.target.closest("[data-key]");
    event.preventDefault(); // keep the focus (and the caret) in the input
    if (key) type(key.dataset.key);
  });

  document.addEventListener("focusin", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && input.inputMode === "none") show(input);
  });

  document.addEventListener("pointerdown", (event) => {
    if (board.hidden) return;
    if (event.target === target || board.contains(event.target)) return;
    hide();
  });

  window.GuideKeyboard = { hide };
})();
