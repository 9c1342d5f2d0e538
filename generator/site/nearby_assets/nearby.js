/* hubdir nearby.js: near me, open now, directions and copy-address (the pages read well without it).
   Its strings (HUBDIR_NEARBY_T, both languages, from the nearby.json catalogues) are put in front
   of this file at build time by generator/site/nearby_page.py.
   - geo: WGS-84 -> GCJ-02 -> BD-09, the browser twin of generator/site/geo.py
   - directionLinks: the twin of generator/site/directions.py for near-me results and map popups
     (record pages carry plain links written at build time; the tests hold both to the same URLs)
   - openState: decides open/closed now, by China time (UTC+8, no daylight saving since 1991),
     from the compact week of generator/hours.py (generator/hours.py owns the grammar)
   - near me: near/index.json lists leaves of a grid (generator/site/nearby.py); leaves are fetched
     nearest first while one could still hold a nearer place of an unsettled kind */
(function () {
  "use strict";
  var ALL = window.HUBDIR_NEARBY_T || {};
  var LANG = (document.documentElement.lang || "zh").slice(0, 2) === "en" ? "en" : "zh";
  var T = ALL[LANG] || {};
  var say = function (key, args) {
    return String(T[key] || key).replace(/\{(\w+)\}/g, function (_, k) { return args && k in args ? args[k] : ""; });
  };
  /* light pages (generator/site/shell.py) carry their roots in the cached window.hubdirMeta */
  var metaContent = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : (window.hubdirMeta || {})[name] || ""; };
  var siteRoot = metaContent("hubdir-site-root");
  var pagesRoot = metaContent("hubdir-root");

  /* ---------- geo ---------- */
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI, X_PI = PI * 3000.0 / 180.0;
  function outOfChina(lat, lon) { return !(73.66 < lon && lon < 135.05 && 3.86 < lat && lat < 53.55); }
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  }
  function wgs84ToGcj02(lat, lon) {
    if (outOfChina(lat, lon)) return [lat, lon];
    var dLat = tLat(lon - 105.0, lat - 35.0), dLon = tLon(lon - 105.0, lat - 35.0);
    var rad = lat / 180.0 * PI, magic = 1 - EE * Math.pow(Math.sin(rad), 2), sq = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sq) * PI);
    dLon = (dLon * 180.0) / (A / sq * Math.cos(rad) * PI);
    return [lat + dLat, lon + dLon];
  }
  function gcj02ToBd09(lat, lon) {
    var z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI);
    var theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI);
    return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
  }
  function wgs84ToBd09(lat, lon) { return outOfChina(lat, lon) ? [lat, lon] : gcj02ToBd09.apply(null, wgs84ToGcj02(lat, lon)); }
  function distance(lat1, lon1, lat2, lon2) {
    var r = PI / 180, p1 = lat1 * r, p2 = lat2 * r, dp = p2 - p1, dl = (lon2 - lon1) * r;
    var h = Math.pow(Math.sin(dp / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }

  /* ---------- directions ---------- */
  var SOURCE = "hubdir";
  function q(s) { return encodeURIComponent(s); }
  function f(x) { return x.toFixed(6); }
  function directionsFrom(g, b, name, address) {
    return {
      amap: "https://uri.amap.com/navigation?to=" + f(g[1]) + "," + f(g[0]) + "," + q(name) +
        "&coordinate=gaode&callnative=1&src=" + SOURCE,
      baidu: "https://api.map.baidu.com/marker?location=" + f(b[0]) + "," + f(b[1]) + "&title=" + q(name) +
        "&content=" + q(address || name) + "&output=html&src=webapp." + SOURCE + ".directory",
      tencent: "https://apis.map.qq.com/uri/v1/routeplan?type=drive&to=" + q(name) +
        "&tocoord=" + f(g[0]) + "," + f(g[1]) + "&referer=" + SOURCE
    };
  }
  function directionLinks(lat, lon, name, address) {
    return directionsFrom(wgs84ToGcj02(lat, lon), wgs84ToBd09(lat, lon), name, address);
  }
  /* For map points already drawn in GCJ-02 (tiles crs "gcj02"). */
  function directionLinksGcj(lat, lon, name, address) {
    return directionsFrom([lat, lon], gcj02ToBd09(lat, lon), name, address);
  }
  function directionsElement(links) {
    var p = document.createElement("p");
    p.className = "hubdir-dirs";
    ["amap", "baidu", "tencent"].forEach(function (app) {
      var a = document.createElement("a");
      a.href = links[app]; a.rel = "nofollow noopener"; a.textContent = say("dir_" + app);
      a.setAttribute("data-app", app);
      p.appendChild(a); p.appendChild(document.createTextNode(" "));
    });
    return p;
  }

  /* ---------- open now ---------- */
  var holidaysPromise = null, holidaysKnown = null;
  function holidays() {
    if (!holidaysPromise) {
      holidaysPromise = fetch(siteRoot + "near/holidays.json").then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      }).then(function (data) {
        var off = {};
        (data.off || []).forEach(function (d) { off[d] = true; });
        holidaysKnown = { off: off, work: data.work || {} };
        return holidaysKnown;
      }).catch(function () { holidaysPromise = null; return { off: {}, work: {} }; });
    }
    return holidaysPromise;
  }
  function parseWeek(compact) {
    var fields = String(compact).split("|");
    var spans = function (s) {
      if (!s) return [];
      return s.split(",").map(function (x) { var ab = x.split("-"); return [Number(ab[0]), Number(ab[1])]; });
    };
    var days = [];  // "=": the day opens as the day before (generator/hours.py compact)
    fields.slice(0, 7).forEach(function (f, i) { days.push(f === "=" && i ? days[i - 1] : spans(f)); });
    return { days: days, ph: fields[7] === "~" || fields[7] === undefined ? null : spans(fields[7]) };
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(m) { m = m % 2880; if (m > 1440) m -= 1440; return pad(Math.floor(m / 60)) + ":" + pad(m % 60); }
  function chinaDay(ms, offset) {  // the China-time calendar day `offset` days after the day of `ms`
    var t = new Date(ms + 8 * 3600e3 + offset * 86400e3);
    return { key: t.getUTCFullYear() + "-" + pad(t.getUTCMonth() + 1) + "-" + pad(t.getUTCDate()), wd: (t.getUTCDay() + 6) % 7 };
  }
  function needsHolidays(compact) { return parseWeek(compact).ph !== null; }
  /* {open: bool, text} at time `ms` (epoch milliseconds) for a compact week; `hol` = {off: {"YYYY-MM-DD": true},
     work: {"YYYY-MM-DD": weekday}}: the days off, and the 调休 weekend days worked in exchange for a weekday.
     Both apply only to a place whose hours mention PH (it follows the State Council's plan): on a day off
     it keeps its PH hours; on a 调休 day it is normally closed it opens as on the weekday swapped (an office
     works that Sunday), while a place open at weekends anyway keeps its weekend hours. */
  function openState(compact, ms, hol) {
    var week = parseWeek(compact), off = (hol && hol.off) || {}, work = (hol && hol.work) || {};
    var onDay = function (offset) {
      var d = chinaDay(ms, offset), follows = week.ph !== null;
      if (follows && off[d.key]) return { spans: week.ph, holiday: true, wd: d.wd };
      var spans = week.days[d.wd];
      if (follows && !spans.length && work[d.key] !== undefined) spans = week.days[work[d.key]];
      return { spans: spans, holiday: false, wd: d.wd };
    };
    var t = new Date(ms + 8 * 3600e3), now = t.getUTCHours() * 60 + t.getUTCMinutes();
    var today = onDay(0), yesterday = onDay(-1), i, s;
    for (i = 0; i < today.spans.length; i++) {
      s = today.spans[i];
      if (s[0] <= now && now < s[1]) return { open: true, text: say("open_until", { time: clock(closing(today.spans, i)) }) };
    }
    for (i = 0; i < yesterday.spans.length; i++) {
      s = yesterday.spans[i];
      if (s[1] > 1440 && now < s[1] - 1440) return { open: true, text: say("open_until", { time: clock(s[1]) }) };
    }
    for (var offset = 0; offset <= 7; offset++) {
      var day = offset === 0 ? today : onDay(offset);
      for (i = 0; i < day.spans.length; i++) {
        s = day.spans[i];
        if (offset > 0 || s[0] > now) {
          var label = offset === 0 ? say("today") : offset === 1 ? say("tomorrow") : say("weekdays").split("|")[day.wd];
          var text = say("closed_next", { day: label, time: clock(s[0]) });
          if (today.holiday && !today.spans.length) text = say("closed_holiday") + " · " + text.replace(/^[^·]*·\s*/, "");
          return { open: false, text: text };
        }
      }
    }
    return { open: false, text: say("closed") };
  }
  function closing(spans, i) {  // spans that touch (12:00-12:00) run on
    var end = spans[i][1];
    for (var j = i + 1; j < spans.length && spans[j][0] <= end; j++) end = Math.max(end, spans[j][1]);
    return end;
  }
  function showOpen(el, compact) {
    var draw = function (hol) {
      var state = openState(compact, Date.now(), hol);
      el.textContent = state.text;
      el.className = "hubdir-open " + (state.open ? "hubdir-open--yes" : "hubdir-open--no");
      el.hidden = false;
      el.setAttribute("data-open", state.open ? "true" : "false");
    };
    if (!needsHolidays(compact)) draw(null);
    else if (holidaysKnown) draw(holidaysKnown);  // already here: drawn at once (a popup keeps its size)
    else holidays().then(draw);
  }

  /* ---------- copy the address ---------- */
  /* a button carries its text (near-me results); on a record page the marked address is the text and
     the button and its status line are made here, at the end of the address's row (no hidden button
     in every page's HTML) */
  function copyButton(el) {
    var button = el;
    if (el.tagName !== "BUTTON") {
      button = document.createElement("button");
      button.type = "button"; button.className = "hubdir-copy"; button.textContent = say("dir_copy");
      var live = document.createElement("span");
      live.setAttribute("role", "status");
      el.parentNode.append(" ", button, live);
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = el === button ? button.getAttribute("data-hubdir-copy") : el.textContent, status = button.nextElementSibling;
      var done = function (ok) { if (status) status.textContent = say(ok ? "dir_copied" : "dir_copy_failed"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(legacyCopy(text)); });
      } else { done(legacyCopy(text)); }
    });
  }
  function legacyCopy(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  /* ---------- near me ---------- */
  var PER_KIND = 3, MAX_FETCH = 40;
  var files = {};
  function json(path) {
    if (!files[path]) {
      files[path] = fetch(siteRoot + "near/" + path).then(function (r) {
        if (!r.ok) throw new Error(r.status + " " + path);
        return r.json();
      }).catch(function (err) { delete files[path]; throw err; });
    }
    return files[path];
  }
  function boxDistance(lat, lon, b) {
    var clat = Math.min(Math.max(lat, b.s), b.n), clon = Math.min(Math.max(lon, b.w), b.e);
    return distance(lat, lon, clat, clon);
  }
  /* The PER_KIND nearest places of every kind: resolves to {kind: [[distance, entry]...]}.
     Each kind has its own leaves; per round, every unsettled kind fetches its next-nearest leaf. */
  function nearest(lat, lon) {
    return json("index.json").then(function (index) {
      var queues = {}, found = {}, fetched = 0;
      index.kinds.forEach(function (_, k) { queues[k] = []; found[k] = []; });
      index.leaves.forEach(function (leaf) {
        var size = index.base / Math.pow(2, leaf[1]);
        var box = { s: leaf[2] * size - 90, n: (leaf[2] + 1) * size - 90, w: leaf[3] * size - 180, e: (leaf[3] + 1) * size - 180 };
        queues[leaf[0]].push({ name: leaf.slice(0, 4).join("-"), d: boxDistance(lat, lon, box) });
      });
      Object.keys(queues).forEach(function (k) { queues[k].sort(function (a, b) { return a.d - b.d || (a.name < b.name ? -1 : 1); }); });
      var worst = function (k) { return found[k].length < PER_KIND ? Infinity : found[k][PER_KIND - 1][0]; };
      function step() {
        var batch = [];
        Object.keys(queues).forEach(function (k) {
          var q = queues[k];
          if (q.length && q[0].d < worst(k) && fetched + batch.length < MAX_FETCH) batch.push(q.shift());
        });
        if (!batch.length) return found;
        fetched += batch.length;
        return Promise.all(batch.map(function (item) { return json("l/" + item.name + ".json"); })).then(function (lists) {
          lists.forEach(function (places) {
            places.forEach(function (p) {
              var list = found[p[3]];
              list.push([distance(lat, lon, p[4], p[5]), p]);
              list.sort(function (a, b) { return a[0] - b[0] || (a[1][0] < b[1][0] ? -1 : 1); });
              if (list.length > PER_KIND) list.length = PER_KIND;
            });
          });
          return step();
        });
      }
      return step();
    });
  }
  function distanceText(m) {
    if (m < 1000) return say("meters", { n: Math.max(10, Math.round(m / 10) * 10) });
    return say("km", { n: (m < 10000 ? Math.round(m / 100) / 10 : Math.round(m / 1000)).toString() });
  }
  function place(p, d, kinds) {
    var li = document.createElement("li"), a = document.createElement("a");
    li.className = "hubdir-near__item"; li.setAttribute("data-path", p[0]);
    a.href = pagesRoot + p[0]; a.textContent = LANG === "en" && p[2] ? p[2] : p[1];
    if (LANG === "en" && !p[2]) a.lang = "zh-CN";
    li.appendChild(a);
    var meta = document.createElement("span");
    meta.className = "hubdir-near__meta"; meta.textContent = " " + distanceText(d);
    meta.setAttribute("data-distance", String(Math.round(d)));
    li.appendChild(meta);
    if (p[7]) { var open = document.createElement("span"); li.appendChild(document.createTextNode(" · ")); li.appendChild(open); showOpen(open, p[7]); }
    var line = document.createElement("p"); line.className = "hubdir-near__acts";
    if (p[6]) {
      var tel = document.createElement("a"); tel.href = "tel:" + p[6].replace(/[^0-9+]/g, ""); tel.textContent = "☎ " + p[6];
      tel.className = "hubdir-tel"; line.appendChild(tel); line.appendChild(document.createTextNode(" "));
    }
    li.appendChild(line);
    li.appendChild(directionsElement(directionLinks(p[4], p[5], p[1], "")));
    return li;
  }
  /* The nearest division with a centre, walking down from `root` (a child whose point equals its
     parent's inherited it: the walk stops there). Resolves to {row, d} or null. */
  function nearestDivision(lat, lon, root) {
    function down(code, best) {
      return json("a/" + code + ".json").then(function (rows) {
        var pick = null;
        rows.forEach(function (r) {
          if (r[3] === null || r[4] === null) return;
          var d = distance(lat, lon, r[3], r[4]);
          if (!pick || d < pick.d) pick = { row: r, d: d };
        });
        if (!pick) return best;
        if (best && pick.row[3] === best.row[3] && pick.row[4] === best.row[4]) return best;
        return pick.row[5] ? down(pick.row[0], pick).catch(function () { return pick; }) : pick;
      });
    }
    return down(root, null);
  }
  function hotlineLine() {  // the hotline strip of this page, again where the answer is
    var links = document.querySelectorAll(".hubdir-hotlines a[href^='tel:']");
    if (!links.length) return null;
    var p = document.createElement("p");
    p.className = "hubdir-near__acts";
    p.appendChild(document.createTextNode(say("n2_hotlines") + " "));
    links.forEach(function (a) {
      var c = document.createElement("a");
      c.href = a.getAttribute("href"); c.textContent = a.textContent.trim(); c.className = "hubdir-tel";
      p.appendChild(c); p.appendChild(document.createTextNode(" "));
    });
    return p;
  }
  function nearbyBox(box) {
    var kinds = JSON.parse(box.getAttribute("data-kinds") || "[]");
    var root = box.getAttribute("data-root"), rootPath = box.getAttribute("data-root-path") || "";
    var located = box.getAttribute("data-located") === "1";
    var status = box.querySelector("[data-near-status]"), out = box.querySelector("[data-near-results]");
    var locate = box.querySelector("[data-near-locate]"), form = box.querySelector("[data-near-pick]");
    var where = box.querySelector("[data-near-where]");
    function show(lat, lon, label) {
      status.textContent = say("loading");
      box.setAttribute("data-state", "loading");
      out.textContent = "";
      return nearest(lat, lon).then(function (found) {
        var any = false, heading = document.createElement("p");
        heading.className = "hubdir-near__from";
        heading.textContent = label ? say("from_place", { place: label }) : say("from_here");
        out.appendChild(heading);
        kinds.forEach(function (name, kind) {
          var list = found[kind] || [];
          if (!list.length) return;
          any = true;
          var section = document.createElement("section"), h = document.createElement("h3"), ol = document.createElement("ol");
          section.className = "hubdir-near__kind"; section.setAttribute("data-kind", String(kind));
          h.textContent = name; section.appendChild(h);
          list.forEach(function (pair) { ol.appendChild(place(pair[1], pair[0], kinds)); });
          section.appendChild(ol); out.appendChild(section);
        });
        status.textContent = any ? "" : say("none");
        box.setAttribute("data-state", "done");
        document.dispatchEvent(new CustomEvent("hubdir:nearby", { detail: { lat: lat, lon: lon } }));
      }).catch(function (err) {
        status.textContent = say("failed", { error: String(err && err.message || err) });
        box.setAttribute("data-state", "failed");
      });
    }
    /* No located organization (or none chosen by distance): the division's own page, one level up
       (a village's town, a town's district) and the hotlines: somewhere useful whatever the data. */
    function showDivision(row, up, d) {
      out.textContent = "";
      var name = LANG === "en" && row[2] ? row[2] : row[1];
      var card = document.createElement("div");
      card.className = "hubdir-near__town"; card.setAttribute("data-code", row[0]);
      if (d !== undefined) {
        var from = document.createElement("p");
        from.className = "hubdir-near__from";
        from.textContent = say("n2_nearest_town", { place: name, distance: distanceText(d) });
        card.appendChild(from);
      }
      var main = document.createElement("p"), a = document.createElement("a");
      if (row[7] > 0) {
        a.href = pagesRoot + row[6]; a.textContent = say("n2_town_places", { place: name, count: row[7] });
        a.className = "md-button md-button--primary"; main.appendChild(a);
      } else {
        main.textContent = say("n2_town_empty", { place: name });
      }
      card.appendChild(main);
      var ups = up.slice();
      if (rootPath && !ups.some(function (u) { return u.path === rootPath; })) ups.push({ path: rootPath, name: box.getAttribute("data-root-name") || "" });
      ups.forEach(function (u) {
        if (!u.path || !u.name) return;
        var p = document.createElement("p"), link = document.createElement("a");
        link.href = pagesRoot + u.path; link.textContent = say("n2_up", { place: u.name });
        p.appendChild(link); card.appendChild(p);
      });
      var tel = hotlineLine();
      if (tel) card.appendChild(tel);
      out.appendChild(card);
      status.textContent = "";
      box.setAttribute("data-state", "done");
    }
    // the picker: one select per level below the root, filled from near/a/<code>.json
    var selects = [];
    function level(code, depth) {
      return json("a/" + code + ".json").then(function (rows) {
        selects.slice(depth).forEach(function (s) { s.parentNode.removeChild(s); });
        selects.length = depth;
        var label = document.createElement("label"), select = document.createElement("select");
        label.className = "hubdir-near__level";
        label.appendChild(document.createTextNode(depth === 0 ? say("pick_town") : say("pick_village")));
        var none = document.createElement("option"); none.value = ""; none.textContent = depth === 0 ? "—" : say("any_village");
        select.appendChild(none);
        rows.forEach(function (r) {
          var o = document.createElement("option");
          o.value = r[0]; o.textContent = LANG === "en" && r[2] ? r[2] : r[1];
          if (r[3] !== null) { o.setAttribute("data-lat", r[3]); o.setAttribute("data-lon", r[4]); }
          o.setAttribute("data-more", r[5]);
          o.hubdirRow = r;
          select.appendChild(o);
        });
        select.setAttribute("data-depth", String(depth));
        label.appendChild(select);
        form.insertBefore(label, form.querySelector("button"));
        selects.push(label);
        select.addEventListener("change", function () {
          var o = select.options[select.selectedIndex];
          selects.slice(depth + 1).forEach(function (s) { s.parentNode.removeChild(s); });
          selects.length = depth + 1;
          if (o.value && o.getAttribute("data-more") === "1") level(o.value, depth + 1);
        });
      });
    }
    var pickerReady = null;
    function picker() { if (!pickerReady) pickerReady = level(root, 0).catch(function (err) { pickerReady = null; status.textContent = say("failed", { error: String(err.message || err) }); }); return pickerReady; }
    form.hidden = false;
    var fallback = box.querySelector("[data-near-fallback]");
    if (fallback) fallback.hidden = true;  // the picker does what the plain link does without JavaScript
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var chosen = null, up = [];
      form.querySelectorAll("select").forEach(function (s) {
        var o = s.options[s.selectedIndex];
        if (o && o.value) { if (chosen) up.unshift({ path: chosen.hubdirRow[6], name: chosen.textContent }); chosen = o; }
      });
      if (!chosen) { picker(); return; }
      if (located && chosen.hasAttribute("data-lat")) {
        show(parseFloat(chosen.getAttribute("data-lat")), parseFloat(chosen.getAttribute("data-lon")), chosen.textContent);
      } else {
        showDivision(chosen.hubdirRow, up);
      }
    });
    picker();
    json("index.json").catch(function () { return null; });  // ready before the tap: one round trip less
    holidays();
    if (!locate) return;
    where.hidden = false;
    function refused(key) {
      status.textContent = say(key);
      box.setAttribute("data-state", "denied");
      picker();
    }
    locate.addEventListener("click", function () {
      if (!navigator.geolocation) { refused("unsupported"); return; }
      status.textContent = say("locating");
      box.setAttribute("data-state", "locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = pos.coords.latitude, lon = pos.coords.longitude;
        if (located) { show(lat, lon, ""); return; }
        status.textContent = say("loading");
        nearestDivision(lat, lon, root).then(function (found) {
          if (found) showDivision(found.row, [], found.d);
          else refused("n2_no_coords");
        }, function (err) {
          status.textContent = say("failed", { error: String(err && err.message || err) });
          box.setAttribute("data-state", "failed");
        });
      }, function () { refused("denied"); }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  }

  window.hubdirNearby = {
    wgs84ToGcj02: wgs84ToGcj02, gcj02ToBd09: gcj02ToBd09, wgs84ToBd09: wgs84ToBd09, distance: distance,
    directionLinks: directionLinks, directionLinksGcj: directionLinksGcj, directionsElement: directionsElement,
    openState: openState, showOpen: showOpen, holidays: holidays, parseWeek: parseWeek, nearest: nearest, say: say
  };

  function init() {
    document.querySelectorAll("[data-hubdir-open]").forEach(function (el) { showOpen(el, el.getAttribute("data-hubdir-open")); });
    document.querySelectorAll("[data-hubdir-copy]").forEach(copyButton);
    document.querySelectorAll("[data-hubdir-nearby]").forEach(nearbyBox);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
