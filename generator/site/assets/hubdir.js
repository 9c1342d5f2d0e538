/* hubdir: small progressive enhancements (the pages read well without them).
   - listings: filter by text, town, service, target group; sort by column
   - (the search page has its own script, search.js)
   - maps: Leaflet (served by this site), a tiny grid clusterer, a list of what is in view */
(function () {
  "use strict";
  /* light pages (generator/site/shell.py) carry the map settings and strings in a cached meta.<lang>.js */
  var shared = window.hubdirMeta || {};
  var meta = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : shared[name] || ""; };
  var siteRoot = meta("hubdir-site-root");
  var T = {};
  try { T = JSON.parse(meta("hubdir-strings") || "{}"); } catch (e) { T = {}; }
  var fmt = function (key, args) { return String(T[key] || key).replace(/\{(\w+)\}/g, function (_, k) { return args[k]; }); };

  /* ---------- listings ---------- */
  function listing(box) {
    var filters = box.querySelector("[data-hubdir-filters]");
    var rows = Array.prototype.slice.call(box.querySelectorAll("tbody tr"));
    var count = box.querySelector("[data-filter-count]");
    if (filters) {
      filters.hidden = false;
      var field = function (name) { return filters.querySelector('[data-filter="' + name + '"]'); };
      var get = function (name) { var el = field(name); return el ? el.value.trim() : ""; };
      /* a row's services and groups: the labels its cells show (joined by data-sep), or its codes in
         data-services / data-groups where labels could not be read back (generator/site/labels.py) */
      var sep = filters.getAttribute("data-sep") || "、", cols = {};
      Array.prototype.forEach.call(box.querySelectorAll("thead th"), function (th, i) {
        if (th.getAttribute("data-list")) cols[th.getAttribute("data-list")] = i;
      });
      var chosen = function (name) { var el = field(name); return el ? sep + el.options[el.selectedIndex].text + sep : ""; };
      var has = function (tr, name, code, label) {
        if (!code) return true;
        var codes = tr.getAttribute("data-" + name + "s");
        if (codes !== null) return (" " + codes + " ").indexOf(" " + code + " ") !== -1;
        var cell = tr.cells[cols[name]];
        return !!cell && (sep + cell.textContent + sep).indexOf(label) !== -1;
      };
      var apply = function () {
        var text = get("text").toLowerCase(), town = get("town"), service = get("service"), group = get("group"), shown = 0;
        var serviceLabel = chosen("service"), groupLabel = chosen("group");  /* once, not per row */
        rows.forEach(function (tr) {
          var ok = (!text || tr.textContent.toLowerCase().indexOf(text) !== -1) &&
            (!town || tr.getAttribute("data-town") === town) &&
            has(tr, "service", service, serviceLabel) && has(tr, "group", group, groupLabel);
          tr.hidden = !ok; if (ok) shown++;
        });
        if (count) count.textContent = fmt("shown", { shown: shown, total: rows.length });
      };
      filters.addEventListener("input", apply); filters.addEventListener("change", apply); apply();
    }
    var heads = box.querySelectorAll("th[data-sort]");
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button"; button.className = "hubdir-sort"; button.textContent = th.textContent;
      button.title = T.sort || "";
      th.textContent = ""; th.appendChild(button); th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = box.querySelector("tbody");
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          return (asc ? 1 : -1) * x.localeCompare(y, "zh-CN");
        });
        rows.forEach(function (tr) { body.appendChild(tr); });
      });
    });
  }

  /* ---------- maps ---------- */
  var leafletPromise = null;
  function leaflet() {
    if (window.L) return Promise.resolve(window.L);
    if (leafletPromise) return leafletPromise;
    var base = siteRoot + "assets/vendor/leaflet/";
    leafletPromise = new Promise(function (resolve, reject) {
      var css = document.createElement("link"); css.rel = "stylesheet"; css.href = base + "leaflet.css";
      document.head.appendChild(css);
      var js = document.createElement("script"); js.src = base + "leaflet.js";
      js.onload = function () { resolve(window.L); }; js.onerror = reject;
      document.head.appendChild(js);
    });
    return leafletPromise;
  }
  var tiles = {};
  try { tiles = JSON.parse(meta("hubdir-tiles") || "{}"); } catch (e) { tiles = {}; }
  function baseLayer(L, map) {
    if (map.attributionControl) map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');  // no flag: an official site shows no political emblem
    if (!tiles.url) return;
    L.tileLayer(tiles.url, { subdomains: tiles.subdomains || "abc", maxZoom: tiles.max_zoom || 18,
      attribution: tiles.attribution || "" }).addTo(map);
    if (tiles.overlay) L.tileLayer(tiles.overlay, { subdomains: tiles.subdomains || "abc", maxZoom: tiles.max_zoom || 18 }).addTo(map);
  }
  var COLORS = ["#1f5fa8", "#c0392b", "#2e7d32", "#6a3d9a", "#8c564b", "#ad1457", "#b35900", "#00796b"];

  function minimap(el) {
    el.setAttribute("role", "region");
    el.setAttribute("aria-label", T.minimap || "");
    // Leaflet (~150 KB) is fetched only once the small map scrolls into view.
    if ("IntersectionObserver" in window) {
      var seen = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) { seen.disconnect(); drawMinimap(el); }
      }, { rootMargin: "200px" });
      seen.observe(el);
    } else { drawMinimap(el); }
  }

  /* the point to draw: the WGS-84 coordinates the page shows just below the box (the last two numbers
     before " · ", record_page.py), converted for the tiles; or the box's own data-lat/data-lon */
  function minimapPoint(el) {
    if (el.hasAttribute("data-lat")) return [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lon"))];
    var next = el.nextElementSibling, nums = next ? next.textContent.split(" · ")[0].match(/-?\d+(?:\.\d+)?/g) : null;
    if (!nums || nums.length < 2) return null;
    var lat = parseFloat(nums[nums.length - 2]), lon = parseFloat(nums[nums.length - 1]), N = window.hubdirNearby;
    return tiles.crs === "gcj02" && N ? N.wgs84ToGcj02(lat, lon) : [lat, lon];
  }

  function drawMinimap(el) {
    var ll = minimapPoint(el);
    if (!ll) return;
    leaflet().then(function (L) {
      var map = L.map(el, { scrollWheelZoom: false }).setView(ll, 16);
      baseLayer(L, map);
      L.circleMarker(ll, { radius: 9, color: "#fff", weight: 2, fillColor: COLORS[0], fillOpacity: 1 }).addTo(map);
    });
  }

  function bigmap(el) {
    var list = document.querySelector("[data-hubdir-maplist]");
    var kindsBox = document.querySelector("[data-hubdir-map-kinds]");
    var kinds = JSON.parse(el.getAttribute("data-kinds") || "[]");
    var pagesRoot = meta("hubdir-root");
    var N = window.hubdirNearby;  // the popups' open-now lines need the holidays: fetch them with the points
    Promise.all([leaflet(), N ? N.holidays() : null, fetch(el.getAttribute("data-points")).then(function (r) { return r.json(); })]).then(function (res) {
      var L = res[0], points = res[2].points;
      var map = L.map(el, { maxZoom: tiles.max_zoom || 18 });
      baseLayer(L, map);
      var layer = L.layerGroup().addTo(map);
      var markers = {};
      var enabled = function () {
        var on = {};
        if (!kindsBox) { kinds.forEach(function (_, i) { on[i] = true; }); return on; }
        Array.prototype.forEach.call(kindsBox.querySelectorAll("input"), function (i) { if (i.checked) on[i.value] = true; });
        return on;
      };
      var link = function (p) {
        var a = document.createElement("a"); a.href = pagesRoot + "org/" + encodeURIComponent(p[3]) + "/"; a.textContent = p[4]; return a;
      };
      var popup = function (p) {
        var div = document.createElement("div"); var strong = document.createElement("strong"); strong.appendChild(link(p));
        div.appendChild(strong); div.appendChild(document.createElement("br"));
        div.appendChild(document.createTextNode(kinds[p[2]] || ""));
        var N = window.hubdirNearby;  // assets/nearby.js: phone, open now and directions in the popup
        if (p[6]) {
          var tel = document.createElement("a"); tel.href = "tel:" + p[6].replace(/[^0-9+]/g, ""); tel.textContent = "☎ " + p[6];
          div.appendChild(document.createElement("br")); div.appendChild(tel);
        }
        if (N && p[7]) {
          var open = document.createElement("span"); div.appendChild(document.createElement("br")); div.appendChild(open);
          N.showOpen(open, p[7]);
        }
        if (N && !p[5]) div.appendChild(N.directionsElement(tiles.crs === "wgs84" ? N.directionLinks(p[0], p[1], p[4]) : N.directionLinksGcj(p[0], p[1], p[4])));
        return div;
      };
      var openId = null, reopening = false;  // a popup stays open when its own pan redraws the map
      map.on("popupopen", function (e) { openId = e.popup._source && e.popup._source.hubdirId; });
      map.on("popupclose", function () { if (!reopening) openId = null; });
      var draw = function () {
        var keep = openId;
        reopening = true;
        layer.clearLayers(); markers = {};
        var on = enabled(), zoom = map.getZoom(), bounds = map.getBounds().pad(0.2), cells = {}, inView = [];
        var view = map.getBounds();
        points.forEach(function (p) {
          if (!on[p[2]]) return;
          var ll = L.latLng(p[0], p[1]);
          if (view.contains(ll)) inView.push(p);
          if (!bounds.contains(ll)) return;
          var px = map.project(ll, zoom), key = Math.floor(px.x / 56) + ":" + Math.floor(px.y / 56);
          (cells[key] = cells[key] || []).push(p);
        });
        // A lone marker nearer than 28 px to a neighbouring cell's joins it: targets stay 24 px apart (WCAG 2.2).
        Object.keys(cells).forEach(function (key) {
          var group = cells[key], xy = key.split(":").map(Number);
          if (group.length !== 1) return;
          var a = map.project(L.latLng(group[0][0], group[0][1]), zoom);
          for (var dx = -1; dx <= 1; dx++) for (var dy = -1; dy <= 1; dy++) {
            var other = cells[(xy[0] + dx) + ":" + (xy[1] + dy)];
            if (other && other !== group && other.some(function (p) { return map.project(L.latLng(p[0], p[1]), zoom).distanceTo(a) < 28; })) {
              other.push(group[0]); delete cells[key]; return;
            }
          }
        });
        Object.keys(cells).forEach(function (key) {
          var group = cells[key];
          if (group.length === 1 || zoom >= (tiles.max_zoom || 18)) {
            group.forEach(function (p) {
              var icon = L.divIcon({ className: "hubdir-pin hubdir-pin--" + p[2], html: "", iconSize: [18, 18] });
              var m = L.marker([p[0], p[1]], { icon: icon, title: p[4], alt: p[4], keyboard: true });
              m.bindPopup(function () { return popup(p); });
              m.hubdirId = p[3]; m.addTo(layer); markers[p[3]] = m;
            });
          } else {
            var b = L.latLngBounds(group.map(function (p) { return [p[0], p[1]]; }));
            var label = fmt("cluster", { count: group.length });
            var c = L.marker(b.getCenter(), { title: label, alt: label, keyboard: true,
              icon: L.divIcon({ className: "hubdir-cluster", html: "<span>" + group.length + "</span>", iconSize: [36, 36] }) });
            c.on("click", function () { map.fitBounds(b.pad(0.3)); if (map.getZoom() === zoom) map.setZoom(zoom + 2); });
            c.addTo(layer);
          }
        });
        if (list) {
          list.textContent = "";
          inView.sort(function (a, b) { return a[4].localeCompare(b[4], "zh-CN"); });
          var head = document.createElement("p"); head.textContent = fmt("in_view", { count: inView.length }); list.appendChild(head);
          var ul = document.createElement("ul");
          inView.slice(0, 100).forEach(function (p) {
            var li = document.createElement("li"); li.setAttribute("data-id", p[3]);
            var dot = document.createElement("span"); dot.className = "hubdir-dot hubdir-dot--" + p[2]; li.appendChild(dot);
            li.appendChild(link(p)); ul.appendChild(li);
          });
          list.appendChild(ul);
          if (inView.length > 100) { var more = document.createElement("p"); more.textContent = fmt("more", { count: inView.length - 100 }); list.appendChild(more); }
        }
        reopening = false;
        if (keep && markers[keep] && !markers[keep].isPopupOpen()) markers[keep].openPopup();
        el.setAttribute("data-markers", String(Object.keys(markers).length));
        el.setAttribute("data-clusters", String(Object.keys(cells).length - Object.keys(markers).length));
      };
      if (kindsBox) kindsBox.addEventListener("change", draw);
      document.addEventListener("hubdir:nearby", function (e) {  // near me (assets/nearby.js) found a place
        var ll = [e.detail.lat, e.detail.lon], N = window.hubdirNearby;
        if (tiles.crs !== "wgs84" && N) ll = N.wgs84ToGcj02(ll[0], ll[1]);
        map.setView(ll, 15);
      });
      map.on("moveend", draw);
      var target = decodeURIComponent(window.location.hash.slice(1));
      var hit = points.filter(function (p) { return p[3] === target; })[0];
      if (hit) { map.setView([hit[0], hit[1]], tiles.max_zoom || 18); if (markers[hit[3]]) markers[hit[3]].openPopup(); }
      else if (points.length) { map.fitBounds(L.latLngBounds(points.map(function (p) { return [p[0], p[1]]; })).pad(0.1)); }
      else { map.setView([22.84, 113.25], 11); }
      if (hit && markers[hit[3]]) markers[hit[3]].openPopup();
      el.setAttribute("data-ready", "true");
    }).catch(function (err) { if (list) list.textContent = String(err); });
  }

  /* what a printed light page says first: the site and the page's address (on screen it is hidden).
     Made here from the header's site name and the canonical address, not written into ~200,000 pages. */
  function printInfo() {
    var main = document.querySelector(".hubdir-light main"), home = document.querySelector(".hubdir-home");
    var canonical = document.querySelector('link[rel="canonical"]');
    if (!main || !home || !canonical || main.querySelector(".hubdir-printinfo")) return;
    var line = document.createElement("p");
    line.className = "hubdir-printinfo";
    line.textContent = home.textContent + " · " + canonical.href;
    main.insertBefore(line, main.firstChild);
  }

  /* a record page's staff links: its file's edit page and the correction form (record_page.fix) */
  function staffLinks(el) {
    var edit = meta("hubdir-edit"), path = el.getAttribute("data-edit"), correction = meta("hubdir-correction");
    if (path && path.slice(-1) === "/") {  // "<folder>/": the file content/<folder>/<id>.yml (record_page.edit_path)
      var canonical = document.querySelector('link[rel="canonical"]');
      path = canonical ? "content/" + path + decodeURIComponent(canonical.href.replace(/\/$/, "").split("/").pop()) + ".yml" : "";
    }
    var links = [];
    if (edit && path) links.push([edit + path, T.edit]);
    if (correction) links.push([correction, T.correction]);
    el.textContent = T.staff || "";
    links.forEach(function (link, i) {
      if (i) el.appendChild(document.createTextNode(" · "));
      var a = document.createElement("a");
      a.href = link[0]; a.rel = "nofollow"; a.textContent = link[1] || "";
      el.appendChild(a);
    });
  }

  function init() {
    printInfo();
    Array.prototype.forEach.call(document.querySelectorAll(".hubdir-staff[data-edit]"), staffLinks);
    Array.prototype.forEach.call(document.querySelectorAll("[data-hubdir-listing]"), listing);
    Array.prototype.forEach.call(document.querySelectorAll(".hubdir-minimap"), minimap);
    Array.prototype.forEach.call(document.querySelectorAll("[data-hubdir-map]"), bigmap);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
