/* hubdir 打印挂牌: a venue's record page prints as an A4 plaque (issue 14 item 11; generator/site/plaque.py).
   The button is made by this script (without JavaScript the page prints as itself). Pressed, it builds the plaque
   from what the page shows (the name, the kind, the rows marked data-p: phone, hours, address, services),
   loads the QR library only now (qrcode-generator, served by this site), draws the page's address as an
   SVG QR code and opens the print dialog. "Back" (or Esc) returns to the full page. */
(function () {
  "use strict";
  /* the page marks the line the button goes on (data-plaque: a JavaScript-only control is made by it) */
  var mark = document.querySelector("[data-plaque]");
  if (!mark) { return; }
  var shared = window.hubdirMeta || {};
  var read = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : shared[name] || ""; };
  var T = {};
  try { T = JSON.parse(read("hubdir-strings") || "{}"); } catch (e) { T = {}; }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "hubdir-plaque-btn";
  button.setAttribute("data-hubdir-plaque", "");
  button.textContent = T.plaque || "打印挂牌";
  mark.append(" ", button);
  var root = document.documentElement, plaque = null, loading = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }
  function library() {
    if (window.qrcode) { return Promise.resolve(window.qrcode); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = read("hubdir-site-root") + "assets/vendor/qrcode-generator/qrcode.js";
        script.onload = function () { resolve(window.qrcode); };
        script.onerror = function () { loading = null; reject(new Error("qrcode")); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }
  function pageUrl() {
    var canonical = document.querySelector('link[rel="canonical"]');
    return canonical ? canonical.href : location.href.split("#")[0];
  }
  function build(qrcode) {
    var article = button.closest("article") || document.querySelector(".md-content");
    var box = el("section", "hubdir-plaque");
    box.setAttribute("aria-label", T.plaque_label || "");
    var bar = el("p", "hubdir-plaque__bar");
    var print = el("button", "", T.plaque_print || "Print"), back = el("button", "", T.plaque_back || "Back");
    print.type = back.type = "button";
    print.addEventListener("click", function () { window.print(); });
    back.addEventListener("click", close);
    bar.appendChild(print); bar.appendChild(back); box.appendChild(bar);
    var kind = article.querySelector(".hubdir-eyebrow .hubdir-kind");
    if (kind) { box.appendChild(el("p", "hubdir-plaque__kind", kind.textContent)); }
    var h1 = article.querySelector("h1");
    box.appendChild(el("p", "hubdir-plaque__name", h1 ? h1.textContent : document.title));
    var dl = el("dl");
    Array.prototype.forEach.call(article.querySelectorAll("dt[data-p]"), function (dt) {
      var dd = dt.nextElementSibling;
      if (!dd) { return; }
      var copy = dd.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll("button, [role=status], .hubdir-open, .hubdir-small, .hubdir-ph"), function (n) { n.remove(); });
      copy.innerHTML = copy.innerHTML.replace(/(<br>\s*){2,}/g, "<br>").replace(/(<br>\s*)+$/, ""); /* no empty line where a note was */
      dl.appendChild(dt.cloneNode(true)); dl.appendChild(copy);
    });
    box.appendChild(dl);
    var url = pageUrl(), qr = qrcode(0, "M");
    qr.addData(unescape(encodeURIComponent(url)), "Byte"); /* UTF-8 bytes, whatever the address holds */
    qr.make();
    var code = el("div", "hubdir-plaque__qr");
    code.innerHTML = qr.createSvgTag({ cellSize: 4, margin: 4, scalable: true });
    var svg = code.querySelector("svg");
    if (svg) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", T.plaque_scan || ""); svg.setAttribute("data-qr", url); }
    var say = el("p");
    say.appendChild(el("strong", "", T.plaque_scan || "")); say.appendChild(el("br")); say.appendChild(document.createTextNode(url));
    var qrbox = el("div", "hubdir-plaque__qrbox");
    qrbox.appendChild(code); qrbox.appendChild(say); box.appendChild(qrbox);
    var site = document.querySelector(".hubdir-home, .md-header__topic");
    var verified = article.querySelector(".hubdir-verified");
    var foot = [site ? site.textContent.trim() : "", verified ? verified.firstChild.textContent.split(" · ")[0] : ""];
    box.appendChild(el("p", "hubdir-plaque__foot", foot.filter(Boolean).join(" · ")));
    article.insertBefore(box, article.firstChild);
    return box;
  }
  function close() {
    root.classList.remove("hubdir-plaque-on");
    button.focus();
  }
  function open() {
    button.disabled = true;
    library().then(function (qrcode) {
      if (!plaque) { plaque = build(qrcode); }
      root.classList.add("hubdir-plaque-on");
      plaque.querySelector("button").focus();
      window.print();
    }).catch(function () { window.print(); }).then(function () { button.disabled = false; });
  }
  button.addEventListener("click", open);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && root.classList.contains("hubdir-plaque-on")) { close(); } });
})();
