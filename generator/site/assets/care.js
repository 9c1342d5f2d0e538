/* hubdir 关怀模式 (large-text, high-contrast mode; MIIT 2021 适老化 specifications): one button in the
   header turns it on or off; the choice is kept in localStorage and applied again before first paint
   by a one-line script in <head>, so it holds on every page and every visit. No pop-up, no cookie. */
(function () {
  "use strict";
  var KEY = "hubdir-care", root = document.documentElement;
  var buttons = document.querySelectorAll("[data-hubdir-care]");
  function apply(on) {
    root.classList.toggle("hubdir-care", on);
    Array.prototype.forEach.call(buttons, function (b) { b.setAttribute("aria-pressed", on ? "true" : "false"); });
  }
  function save(on) {
    try { if (on) { localStorage.setItem(KEY, "1"); } else { localStorage.removeItem(KEY); } } catch (e) { /* private mode: this page only */ }
  }
  apply(root.classList.contains("hubdir-care"));
  Array.prototype.forEach.call(buttons, function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var on = !root.classList.contains("hubdir-care");
      apply(on); save(on);
    });
  });
})();
