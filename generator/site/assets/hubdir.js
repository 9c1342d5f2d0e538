/* hubdir: small progressive enhancements (the pages read well without them).
   - listings: filter by text, town, service, target group; sort by column
   - search page: the sharded index of generator/site/search.py, fed from ?q=
   - maps: Leaflet (served by this site), a tiny grid clusterer, a list of what is in view */
(function () {
  "use strict";
  var meta = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : ""; };
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
      var get = function (name) { var el = filters.querySelector('[data-filter="' + name + '"]'); return el ? el.value.trim() : ""; };
      var apply = function () {
        var text = get("text").toLowerCase(), town = get("town"), service = get("service"), group = get("group"), shown = 0;
        rows.forEach(function (tr) {
          var ok = (!text || tr.textContent.toLowerCase().indexOf(text) !== -1) &&
            (!town || tr.getAttribute("data-town") === town) &&
            (!service || (" " + tr.getAttribute("data-services") + " ").indexOf(" " + service + " ") !== -1) &&
            (!group || (" " + tr.getAttribute("data-groups") + " ").indexOf(" " + group + " ") !== -1);
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

  /* ---------- search page: the sharded index written by generator/site/search.py ----------
     A query's keys (Chinese character pairs, single characters, 2-4 letter pinyin prefixes) each hash
     to one key shard; their posting lists are intersected as bitsets; name matches are shown before
     text matches, in document order; document shards are fetched only for what is shown. */
  var WORDS = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]+|[a-z0-9]+/gu;
  function fnv(key) {
    var bytes = new TextEncoder().encode(key), h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) { h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0; }
    return h;
  }
  function queryTerms(query) {
    var out = [], m, q = query.normalize("NFKC").toLowerCase();
    WORDS.lastIndex = 0;
    while ((m = WORDS.exec(q))) {
      var w = m[0], keys = [], chars = Array.from(w);  // code points, as Python counts them
      if (/^[a-z0-9]/.test(w)) {
        if (w.length < 2) continue;
        keys.push(w.slice(0, 4));
      } else if (chars.length === 1) { keys.push(w); }
      else { for (var i = 0; i + 1 < chars.length; i++) keys.push(chars[i] + chars[i + 1]); }
      out.push({ latin: /^[a-z0-9]/.test(w), word: w, keys: keys });
    }
    return out;
  }
  function bitset(value, words) {  // 0 | gap list (negative: extend into a run) | base64 bitmap
    var out = new Uint32Array(words), i, d;
    if (!value) return out;
    if (typeof value === "string") {
      var raw = atob(value);
      for (i = 0; i < raw.length; i++) out[i >> 2] |= raw.charCodeAt(i) << ((i & 3) * 8);
      return out;
    }
    var end = 0;
    for (i = 0; i < value.length; i++) {
      var g = value[i];
      if (g < 0) { for (d = end; d < end - g; d++) out[d >>> 5] |= 1 << (d & 31); end -= g; }
      else { d = end + g; out[d >>> 5] |= 1 << (d & 31); end = d + 1; }
    }
    return out;
  }
  function members(set) {
    var out = [];
    for (var w = 0; w < set.length; w++) {
      var x = set[w];
      while (x) { var low = x & -x; out.push(w * 32 + 31 - Math.clz32(low)); x ^= low; }
    }
    return out;
  }
  function latinMatch(word, forms) {  // the query starts a name's pinyin (or initials) at some syllable
    for (var f = 0; f < forms.length; f++) {
      var tokens = forms[f].split(" ");
      for (var i = 0; i < tokens.length; i++) {
        var rest = tokens.slice(i);
        if (rest.join("").indexOf(word) === 0) return true;
        if (rest.map(function (t) { return t[0]; }).join("").indexOf(word) === 0) return true;
      }
    }
    return false;
  }
  function search(box) {
    var base = new URL(box.getAttribute("data-index"), window.location.href).href;
    var S = {};
    try { S = JSON.parse(box.getAttribute("data-strings") || "{}"); } catch (e) { S = {}; }
    var say = function (key, args) { return String(S[key] || key).replace(/\{(\w+)\}/g, function (_, k) { return args[k]; }); };
    var english = document.documentElement.lang === "en";
    var root = new URL(siteRoot || "./", window.location.href).pathname + (english ? "en/" : "");
    var form = box.querySelector("form"), input = box.querySelector("input"), status = box.querySelector("[role=status]");
    var list = box.querySelector("ol"), moreButton = box.querySelector(".hubdir-results__more");
    var files = {}, metaPromise = null, current = null, PAGE = 20;
    function json(path, options) {
      if (!files[path]) {
        files[path] = fetch(base + path, options).then(function (r) {
          if (!r.ok) throw new Error(r.status + " " + path);
          return r.json();
        }).catch(function (err) { delete files[path]; throw err; });  // a later query tries again
      }
      return files[path];
    }
    function meta() {
      // Revalidated every time (a 304 at most): its version names the shards, which may be cached for long.
      if (!metaPromise) metaPromise = json("meta.json", { cache: "no-cache" }).catch(function (err) { metaPromise = null; throw err; });
      return metaPromise;
    }
    function show(m, row) {
      var li = document.createElement("li"), a = document.createElement("a"), info = document.createElement("span");
      li.className = "hubdir-result";
      a.className = "hubdir-result__link"; a.href = root + row[0]; a.textContent = row[1];
      li.appendChild(a);
      if (english && row[2]) { var en = document.createElement("span"); en.className = "hubdir-result__en"; en.lang = "en"; en.textContent = row[2]; li.appendChild(en); }
      var parts = [m.kinds[row[3]][english ? 1 : 0]];
      var place = english ? (row[6] || row[5]) : row[5];
      if (place) parts.push(place);
      if (row[4]) parts.push((m.status[row[4]] || [row[4], row[4]])[english ? 1 : 0]);
      info.className = "hubdir-result__meta"; info.textContent = parts.join(" · ");
      li.appendChild(info);
      list.appendChild(li);
    }
    function run(query) {
      var token = {}, terms = queryTerms(query);
      current = token;
      list.textContent = ""; moreButton.hidden = true;
      box.setAttribute("data-state", "done");  // tests and the benchmark wait for "done"
      if (!query.trim()) { status.textContent = ""; return; }
      if (!terms.length) { status.textContent = say("short", {}); return; }
      status.textContent = say("loading", {});
      box.setAttribute("data-state", "loading");
      meta().then(function (m) {
        var words = (m.docs + 31) >>> 5, shardOf = {};
        terms.forEach(function (t) { t.keys.forEach(function (k) { shardOf[k] = fnv(k) % m.key_shards; }); });
        var wanted = Object.keys(shardOf).map(function (k) { return shardOf[k]; });
        return Promise.all(wanted.map(function (n) { return json("k/" + n + ".json?v=" + m.version); })).then(function (shards) {
          if (current !== token) return;
          var inName = new Uint32Array(words), inText, i;
          for (i = 0; i < m.docs; i++) inName[i >>> 5] |= 1 << (i & 31);
          inText = inName.slice();
          terms.forEach(function (t) {
            t.keys.forEach(function (k) {
              var entry = shards[wanted.indexOf(shardOf[k])][k] || [0, 0];
              var name = bitset(entry[0], words), text = entry[1] ? bitset(entry[1], words) : name;
              for (var w = 0; w < words; w++) { inName[w] &= name[w]; inText[w] &= text[w]; }
            });
          });
          for (i = 0; i < words; i++) inText[i] &= ~inName[i];
          var first = members(inName), rest = members(inText), deferred = [], phase = 0, pos = 0, shown = 0;
          var exact = !terms.some(function (t) { return t.latin; });
          var count = first.length + rest.length;
          function verdict(row) {  // true: every term in a name; false: a pinyin term is not there; null: text
            var names = [row[1]].concat(row[7]).map(function (n) { return n.normalize("NFKC").toLowerCase(); }), whole = true;
            for (var j = 0; j < terms.length; j++) {
              var t = terms[j];
              if (t.latin) { if (!latinMatch(t.word, row[8])) return false; }
              else if (!names.some(function (n) { return n.indexOf(t.word) !== -1; })) whole = false;
            }
            return whole ? true : null;
          }
          function next() {  // the next candidates of this page, in order
            if (phase === 0 && pos >= first.length) {
              phase = 1; pos = 0;
              rest = rest.concat(deferred).sort(function (x, y) { return x - y; });
            }
            var pool = phase === 0 ? first : rest;
            var batch = pool.slice(pos, pos + PAGE);
            pos += batch.length;
            return batch;
          }
          function page(target) {
            var batch = next();
            if (!batch.length) return finish();
            var need = {};
            batch.forEach(function (n) { need[Math.floor(n / m.docs_per_shard)] = true; });
            var ids = Object.keys(need);
            return Promise.all(ids.map(function (s) { return json("d/" + s + ".json?v=" + m.version); })).then(function (docs) {
              if (current !== token) return;
              batch.forEach(function (n) {
                var s = Math.floor(n / m.docs_per_shard), row = docs[ids.indexOf(String(s))][n - s * m.docs_per_shard];
                var v = verdict(row);
                if (phase === 0 && v === null) { deferred.push(n); return; }
                if (v === false) { count--; return; }
                show(m, row); shown++;
              });
              if (shown < target) return page(target);
              return finish();
            });
          }
          function finish() {
            box.setAttribute("data-state", "done");
            var left = phase === 0 ? pos < first.length || rest.length + deferred.length > 0 : pos < rest.length;
            moreButton.hidden = !left;
            if (!shown && !left) status.textContent = say("none", { query: query.trim() });
            else if (exact) status.textContent = say("results", { count: count });
            else status.textContent = say("showing", { shown: shown });
          }
          moreButton.onclick = function () { box.setAttribute("data-state", "loading"); page(shown + PAGE).catch(fail); };
          return page(PAGE);
        });
      }).catch(fail);
      function fail(err) {
        if (current !== token) return;
        status.textContent = say("failed", { error: String(err.message || err) });
        box.setAttribute("data-state", "failed");
      }
    }
    var timer = null;
    function update(query, now) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var url = new URL(window.location.href);
        if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
        window.history.replaceState(null, "", url.pathname + url.search + url.hash);
        run(query);
      }, now ? 0 : 100);
    }
    // A Chinese input method sends pinyin while composing: search once the characters are chosen.
    input.addEventListener("input", function (e) { if (!e.isComposing) update(input.value, false); });
    input.addEventListener("compositionend", function () { update(input.value, false); });
    form.addEventListener("submit", function (e) { e.preventDefault(); update(input.value, true); });
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) { input.value = q; run(q); }
    input.focus();
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
    if (!tiles.url) return;
    L.tileLayer(tiles.url, { subdomains: tiles.subdomains || "abc", maxZoom: tiles.max_zoom || 18,
      attribution: tiles.attribution || "" }).addTo(map);
    if (tiles.overlay) L.tileLayer(tiles.overlay, { subdomains: tiles.subdomains || "abc", maxZoom: tiles.max_zoom || 18 }).addTo(map);
  }
  var COLORS = ["#1f5fa8", "#c0392b", "#2e7d32", "#6a3d9a", "#8c564b", "#ad1457", "#b35900", "#00796b"];

  function minimap(el) {
    // Leaflet (~150 KB) is fetched only once the small map scrolls into view.
    if ("IntersectionObserver" in window) {
      var seen = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) { seen.disconnect(); drawMinimap(el); }
      }, { rootMargin: "200px" });
      seen.observe(el);
    } else { drawMinimap(el); }
  }

  function drawMinimap(el) {
    leaflet().then(function (L) {
      var ll = [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lon"))];
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

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-hubdir-listing]"), listing);
    Array.prototype.forEach.call(document.querySelectorAll("[data-hubdir-search]"), search);
    Array.prototype.forEach.call(document.querySelectorAll("[data-hubdir-minimap]"), minimap);
    Array.prototype.forEach.call(document.querySelectorAll("[data-hubdir-map]"), bigmap);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
