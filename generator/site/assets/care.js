/* hubdir 关怀模式 (large-text, high-contrast mode; MIIT 2021 适老化 specifications): one button in the
   header turns it on or off; the choice is kept in localStorage and applied again before first paint
   by a one-line script in <head>, so it holds on every page and every visit. No pop-up, no cookie. */
(function () {
  "use strict";
  var KEY = "hubdir-care", root = document.documentElement;
  var buttons = document.querySelectorAll("[data-hubdir-care]");
  var header = document.querySelector(".hubdir-light .md-header .hubdir-lang");
  if (!buttons.length && header) {
    /* the light pages (records, areas, listings) have no button in their HTML: a control that only
       works with JavaScript is made by it, before the language switch (its label from window.hubdirMeta) */
    var T = {};
    try { T = JSON.parse((window.hubdirMeta || {})["hubdir-strings"] || "{}"); } catch (e) { T = {}; }
    var made = document.createElement("button");
    made.className = "hubdir-care-toggle";
    made.setAttribute("data-hubdir-care", "");
    made.textContent = T.care || "大字模式";
    header.parentNode.insertBefore(made, header);
    buttons = [made];
  }
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
