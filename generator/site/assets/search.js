/* hubdir search page: the sharded index written by generator/site/search.py, fed from ?q=.
   This is the same algorithm as search.py's `search` (the tests compare both in Chromium):
   the query is read as places, kinds, services, target groups, filler words and free text;
   results come in tiers (exact name, phone number, whole query in a name, kind + place …,
   the same kind at the places above, every word in a name, place/service, text), each in
   document order, a document shown once.  The planning code is synchronous over the shards
   already loaded; `plan` runs again after each fetch of the shards it asked for. */
(function () {
  "use strict";
  var meta = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : ""; };
  var siteRoot = meta("hubdir-site-root");
  var HAN_CLASS = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  var HAN = new RegExp("^[" + HAN_CLASS + "]+$", "u");
  var TOKEN = new RegExp("[" + HAN_CLASS + "]+|[a-z0-9]+", "gu");
  var LATIN = /[a-z0-9]+/g;
  var PHONE = /^[0-9\s\-+()（）]+$/;
  var LATIN_KEY = 4, PAGE = 20;

  function isHan(t) { return HAN.test(t); }
  function chars(s) { return Array.from(s); }  // code points, as Python counts them
  function fnv(key) {
    var bytes = new TextEncoder().encode(key), h = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) { h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0; }
    return h;
  }
  function tokensOf(text) {
    var out = [], m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text))) { if (isHan(m[0]) || m[0].length >= 2) out.push(m[0]); }
    return out;
  }
  function stem(w) { return w.length > 4 && w.slice(-1) === "s" && w.slice(-2) !== "ss" ? w.slice(0, -1) : w; }
  function bucket(key) { return key.indexOf("@d") === 0 ? key.slice(2) : key; }
  function sameList(a, b) { if (a.length !== b.length) return false; for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; }

  /* ---- posting lists as bitsets ---- */
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

  /* ---- the index as loaded so far ---- */
  function Index(m) {
    this.meta = m;
    this.words = (m.docs + 31) >>> 5;
    this.shards = {};   // "k/3" → parsed shard
    this.missing = {};  // shards `plan` asked for and did not have
    var pairs = chars(m.t2s);
    this.t2s = {};
    for (var i = 0; i + 1 < pairs.length; i += 2) this.t2s[pairs[i]] = pairs[i + 1];
    this.han = {}; this.latin = {};
    var self = this;
    Object.keys(m.lex).forEach(function (concept) {
      [self.han, self.latin].forEach(function (table, j) {
        var words = m.lex[concept][j];
        (words ? words.split("|") : []).forEach(function (w) {
          if (!Object.prototype.hasOwnProperty.call(table, w)) table[w] = [];
          table[w].push(concept);
        });
      });
    });
    this.hanWords = Object.keys(this.han);  // insertion order (no Chinese word looks like an array index)
    this.latinWords = Object.keys(this.latin).filter(function (w) { return w.indexOf(" ") === -1 && w.length >= 3; });
  }
  Index.prototype.file = function (part, n) {
    var name = part + "/" + n;
    if (!this.shards[name]) { this.missing[name] = true; return {}; }
    return this.shards[name];
  };
  Index.prototype.entry = function (key) {
    var v = this.file("k", fnv(bucket(key)) % this.meta.key_shards)[key];
    return v === undefined ? null : v;
  };
  Index.prototype.lists = function (key) {
    var v = this.entry(key) || [0, 0], name = bitset(v[0], this.words);
    return [name, v[1] === 0 ? name : bitset(v[1], this.words)];
  };
  Index.prototype.reading = function (c) {
    var r = this.file("p", fnv(c) % this.meta.pinyin_shards)[c];
    return r === undefined ? "" : r;
  };
  Index.prototype.group = function (n) {
    var found = 0, g = this.meta.groups;
    for (var i = 0; i < g.length; i++) { if (g[i][0] > n) break; found = g[i][1]; }
    return found;
  };

  function prepare(index, query) {
    var text = chars(query.normalize("NFKC").toLowerCase()).map(function (c) { return index.t2s[c] || c; }).join("");
    return tokensOf(text);
  }

  /* ---- reading the query ---- */
  function Segment(surface, latin, concepts, chains) {
    this.surface = surface; this.latin = latin; this.concepts = concepts; this.chains = chains || [];
  }
  Segment.prototype.type = function () { return this.concepts.length ? this.concepts[0][0] : ""; };

  function match(cs, i, surface) {  // [size, exact]
    var word = chars(surface), size = word.length, j;
    if (sameList(cs.slice(i, i + size), word)) return [size, true];
    if (size >= 3) {
      var win = cs.slice(i, i + size + 1);
      if (win.length === size + 1) {
        for (j = 1; j < size; j++) if (sameList(win.slice(0, j).concat(win.slice(j + 1)), word)) return [size + 1, false];
      }
      win = cs.slice(i, i + size - 1);
      if (win.length === size - 1) {
        for (j = 1; j < size; j++) if (sameList(word.slice(0, j).concat(word.slice(j + 1)), win)) return [size - 1, false];
      }
    }
    return [0, false];
  }
  function better(a, b) { return a[0] > b[0] || (a[0] === b[0] && a[1] && !b[1]); }  // Python's tuple >
  function placesAt(index, head) { return index.entry("@d" + head) || []; }

  function segmentHan(index, text) {
    var cs = chars(text), out = [], free = [], i = 0;
    while (i < cs.length) {
      var best = [0, false], found = null;
      index.hanWords.forEach(function (surface) {
        var concepts = index.han[surface], m = match(cs, i, surface);
        if (m[0] && better(m, best) && (m[0] >= 2 || (m[1] && concepts.length === 1 && concepts[0] === "x:"))) {
          best = m; found = new Segment(surface, false, concepts.slice());
        }
      });
      if (i + 1 < cs.length) {
        placesAt(index, cs[i] + cs[i + 1]).forEach(function (e) {
          var m = match(cs, i, e[0]);
          if (m[0] >= 2 && better(m, best)) { best = m; found = new Segment(e[0], false, ["p:" + e[1][0]], [e[1]]); }
          else if (m[0] >= 2 && m[0] === best[0] && m[1] === best[1] && found && found.type() === "p") {
            if (found.concepts.indexOf("p:" + e[1][0]) === -1) { found.concepts.push("p:" + e[1][0]); found.chains.push(e[1]); }
          }
        });
      }
      if (!found) { free.push(cs[i]); i++; continue; }
      if (free.length) { out.push(new Segment(free.join(""), false, [])); free = []; }
      out.push(found);
      i += best[0];
    }
    if (free.length) out.push(new Segment(free.join(""), false, []));
    return out;
  }
  function splitWord(index, word, raw) {
    var parts = [], pos = 0;
    var places = placesAt(index, word.slice(0, LATIN_KEY)).filter(function (e) { return e[0].indexOf(" ") === -1; });
    while (pos < word.length) {
      var best = null;
      index.latinWords.forEach(function (s) {
        if (word.startsWith(s, pos) && (best === null || s.length > best.surface.length)) best = new Segment(s, true, index.latin[s].slice());
      });
      if (pos === 0) {
        places.forEach(function (e) {
          if (word.startsWith(e[0]) && (best === null || e[0].length > best.surface.length)) best = new Segment(e[0], true, ["p:" + e[1][0]], [e[1]]);
          else if (best !== null && best.type() === "p" && e[0] === best.surface && best.concepts.indexOf("p:" + e[1][0]) === -1) {
            best.concepts.push("p:" + e[1][0]); best.chains.push(e[1]);
          }
        });
      }
      if (best === null) break;
      parts.push(best);
      pos += best.surface.length;
    }
    if (parts.length && pos === word.length) return parts;
    if (parts.length && word.length - pos >= 2) return parts.concat([new Segment(word.slice(pos), true, [])]);
    return [new Segment(raw, true, [])];
  }
  function segmentLatin(index, words) {
    var stems = words.map(stem), out = [], t = 0;
    while (t < words.length) {
      var found = null, size = 0, k;
      for (k = Math.min(4, words.length - t); k > 0; k--) {
        var phrase = stems.slice(t, t + k).join(" ");
        if (Object.prototype.hasOwnProperty.call(index.latin, phrase)) { found = new Segment(phrase, true, index.latin[phrase].slice()); size = k; break; }
      }
      placesAt(index, words[t].slice(0, LATIN_KEY)).forEach(function (e) {
        var n = e[0].split(" ").length;
        if (stems.slice(t, t + n).join(" ") !== e[0]) return;
        if (n > size) { found = new Segment(e[0], true, ["p:" + e[1][0]], [e[1]]); size = n; }
        else if (n === size && found && found.type() === "p" && found.concepts.indexOf("p:" + e[1][0]) === -1) {
          found.concepts.push("p:" + e[1][0]); found.chains.push(e[1]);
        }
      });
      if (found) { out.push(found); t += size; continue; }
      out = out.concat(splitWord(index, stems[t], words[t]));
      t++;
    }
    return out;
  }
  function segment(index, toks) {
    var out = [], i = 0;
    while (i < toks.length) {
      if (isHan(toks[i])) { out = out.concat(segmentHan(index, toks[i])); i++; continue; }
      var j = i;
      while (j < toks.length && !isHan(toks[j])) j++;
      out = out.concat(segmentLatin(index, toks.slice(i, j)));
      i = j;
    }
    return out.filter(function (s) { return !(s.concepts.length === 1 && s.concepts[0] === "x:"); });
  }
  function keysOf(surface, latin) {
    if (latin) return [surface.slice(0, LATIN_KEY)];
    var cs = chars(surface), out = [];
    if (cs.length === 1) return cs;
    for (var i = 0; i + 1 < cs.length; i++) out.push(cs[i] + cs[i + 1]);
    return out;
  }

  /* ---- the tiers ---- */
  function plan(index, toks, mode) {
    var W = index.words, docs = index.meta.docs;
    function every() { var s = new Uint32Array(W); for (var i = 0; i < docs; i++) s[i >>> 5] |= 1 << (i & 31); return s; }
    function allOf(sets) { var out = every(); sets.forEach(function (s) { for (var w = 0; w < W; w++) out[w] &= s[w]; }); return out; }
    function nameList(key) { return index.lists(key)[0]; }
    function textList(key) { return index.lists(key)[1]; }
    function facet(seg) {
      var out = new Uint32Array(W);
      seg.concepts.forEach(function (c) { var s = nameList("@" + c[0] + c.slice(2)); for (var w = 0; w < W; w++) out[w] |= s[w]; });
      return out;
    }
    function keySets(seg) { return keysOf(seg.surface, seg.latin).map(function (k) { return seg.latin ? nameList(k) : textList(k); }); }
    var compact = toks.join(""), rawKeys = [];
    toks.forEach(function (t) { rawKeys = rawKeys.concat(keysOf(t, !isHan(t))); });
    var segs = segment(index, toks), tiers = [];
    if (mode === "partial") segs = segs.filter(function (s) { return s.concepts.length; });
    tiers.push({ name: "exact", docs: members(nameList("=" + compact)), verify: "none" });
    var joined = toks.join(" "), digits = joined.replace(/\D/g, "");
    if (PHONE.test(joined) && digits.length >= 5) tiers.push({ name: "phone", docs: members(nameList("#" + digits)), verify: "none" });
    var whole = { name: "whole", docs: members(allOf(rawKeys.map(nameList))), verify: "whole" };
    var conceptSegs = segs.filter(function (s) { return s.concepts.length; });
    var free = segs.filter(function (s) { return !s.concepts.length; });
    var freeSets = free.map(function (s) { return allOf(keySets(s)); });
    var facets = conceptSegs.map(facet);
    var kinds = conceptSegs.filter(function (s) { return s.type() === "k"; });
    var place = conceptSegs.filter(function (s) { return s.type() === "p"; })[0] || null;
    var sg = conceptSegs.filter(function (s) { return s.type() === "s" || s.type() === "g"; });
    // a place and a kind only (鸡洲妇联): that place's federation before names that contain the words
    var pure = kinds.length > 0 && segs.every(function (s) { return s.type() === "p" || s.type() === "k"; });
    if (!pure) tiers.push(whole);
    if (kinds.length) {
      tiers.push({ name: "kind", docs: members(allOf(facets.concat(freeSets))), verify: "free" });
      if (place) {
        var others = facets.filter(function (_, i) { return conceptSegs[i].type() !== "p"; });
        place.chains[0].slice(1).forEach(function (code) {
          tiers.push({ name: "near", docs: members(allOf([nameList("@e" + code)].concat(others, freeSets))), verify: "free" });
        });
      }
    }
    if (pure) tiers.push(whole);
    if (segs.length) {
      var nameSets = segs.map(function (s) {
        return s.latin && s.concepts.length ? facets[conceptSegs.indexOf(s)] : allOf(keysOf(s.surface, s.latin).map(nameList));
      });
      tiers.push({ name: "names", docs: members(allOf(nameSets)), verify: "names" });
    }
    if (conceptSegs.length && !kinds.length) {
      var list = members(allOf(facets.concat(freeSets)));
      if (sg.length) {
        var venue = {}, active = index.meta.active;
        index.meta.venue_order.forEach(function (g, i) { venue[g] = i; });
        var rank = function (n) { var v = venue[index.group(n)]; return v === undefined ? index.meta.venue_order.length : v; };
        list.sort(function (a, b) { return ((a >= active) - (b >= active)) || (rank(a) - rank(b)) || (a - b); });
      }
      tiers.push({ name: "facet", docs: list, verify: "free" });
    }
    if (segs.length) {
      var textSets = segs.map(function (s) { return s.concepts.length && s.latin ? facets[conceptSegs.indexOf(s)] : allOf(keySets(s)); });
      tiers.push({ name: "text", docs: members(allOf(textSets)), verify: "free" });
    }
    var union = new Uint8Array(docs), count = 0;
    tiers.forEach(function (t) { t.docs.forEach(function (n) { if (!union[n]) { union[n] = 1; count++; } }); });
    return { segments: segs, tiers: tiers, mode: mode, count: count, exactCount: mode === "exact" && toks.every(isHan), raw: toks };
  }
  function latinMatch(word, forms) {
    for (var f = 0; f < forms.length; f++) {
      var toks = forms[f].split(" ");
      for (var i = 0; i < toks.length; i++) {
        var rest = toks.slice(i);
        if (rest.join("").indexOf(word) === 0) return true;
        if (rest.map(function (t) { return t[0]; }).join("").indexOf(word) === 0) return true;
      }
    }
    return false;
  }
  function verify(p, tier, row) {
    if (tier.verify === "none") return true;
    var names = row[9].length ? row[9] : [row[1]].concat(row[7]), forms = row[8], i;
    var inName = function (w) { return names.some(function (n) { return n.indexOf(w) !== -1; }); };
    if (tier.verify === "whole") {
      for (i = 0; i < p.raw.length; i++) {
        var tok = p.raw[i];
        if (isHan(tok) ? !inName(tok) : !latinMatch(tok, forms)) return false;
      }
      return true;
    }
    for (i = 0; i < p.segments.length; i++) {
      var s = p.segments[i];
      if (s.latin && !s.concepts.length) { if (!latinMatch(s.surface, forms)) return false; }
      else if (tier.verify === "names" && !s.latin && !inName(s.surface)) return false;
    }
    return true;
  }
  /* Plan the query, fetching what the plan asks for until it asks for nothing new. */
  function interpret(index, query, load) {
    var toks = prepare(index, query);
    function settle(fn) {
      index.missing = {};
      var out = fn(), wanted = Object.keys(index.missing);
      if (!wanted.length) return Promise.resolve(out);
      return Promise.all(wanted.map(load)).then(function () { return settle(fn); });
    }
    if (!toks.length) return Promise.resolve(null);
    var first = null;
    function partial(p) {  // 被家暴了怎么办: the words it knows, the rest left out
      var known = first.segments.some(function (s) { return s.concepts.length; });
      var unknown = first.segments.some(function (s) { return !s.concepts.length; });
      if (p.count !== 0 || !known || !unknown) return p;
      return settle(function () { return plan(index, toks, "partial"); });
    }
    return settle(function () { return plan(index, toks, "exact"); }).then(function (p) {
      first = p;
      if (p.count !== 0 || !toks.some(isHan)) return partial(p);
      return settle(function () {
        var sounds = [];
        toks.forEach(function (t) {
          if (!isHan(t)) { sounds.push(t); return; }
          var spoken = chars(t).map(function (c) { return index.reading(c); }).join("");
          if (spoken.length >= 2) sounds.push(spoken);
        });
        return sounds;
      }).then(function (sounds) {
        if (!sounds.length) return p;
        return settle(function () { return plan(index, sounds, "sound"); });
      }).then(partial);
    });
  }

  /* ---- the page ---- */
  function search(box) {
    var base = new URL(box.getAttribute("data-index"), window.location.href).href;
    var S = {};
    try { S = JSON.parse(box.getAttribute("data-strings") || "{}"); } catch (e) { S = {}; }
    var say = function (key, args) { return String(S[key] || key).replace(/\{(\w+)\}/g, function (_, k) { return args[k]; }); };
    var english = document.documentElement.lang === "en";
    var root = new URL(siteRoot || "./", window.location.href).pathname + (english ? "en/" : "");
    var form = box.querySelector("form"), input = box.querySelector("input"), status = box.querySelector("[role=status]");
    var list = box.querySelector("ol"), moreButton = box.querySelector(".hubdir-results__more");
    var help = document.querySelector("[data-hubdir-search-help]");
    var nearby = help && help.querySelector("[data-hubdir-search-nearby]");
    var files = {}, metaPromise = null, current = null, index = null;
    function json(path, options) {
      if (!files[path]) {
        files[path] = fetch(base + path, options).then(function (r) {
          if (!r.ok) throw new Error(r.status + " " + path);
          return r.json();
        }).catch(function (err) { delete files[path]; throw err; });  // a later query tries again
      }
      return files[path];
    }
    function loadMeta() {
      // Revalidated every time (a 304 at most): its version names the shards, which may be cached for long.
      if (!metaPromise) {
        metaPromise = json("meta.json", { cache: "no-cache" }).then(function (m) {
          if (!index || index.meta.version !== m.version) index = new Index(m);
          return index;
        }).catch(function (err) { metaPromise = null; throw err; });
      }
      return metaPromise;
    }
    function shard(name) {
      return json(name + ".json?v=" + index.meta.version).then(function (data) { index.shards[name] = data; });
    }
    var fetchedRows = 0;  // document shards fetched for this page of results (see page())
    function rowsFor(ns) {
      var per = index.meta.docs_per_shard, need = {};
      ns.forEach(function (n) { need[Math.floor(n / per)] = true; });
      var ids = Object.keys(need);
      ids.forEach(function (s) { if (!files["d/" + s + ".json?v=" + index.meta.version]) fetchedRows++; });
      return Promise.all(ids.map(function (s) { return json("d/" + s + ".json?v=" + index.meta.version); })).then(function (docs) {
        var rows = {};
        ns.forEach(function (n) { var s = Math.floor(n / per); rows[n] = docs[ids.indexOf(String(s))][n - s * per]; });
        return rows;
      });
    }
    function show(target, row, kind) {  // kind: "result", or "nearhub" for the help's nearby hubs
      var m = index.meta, li = document.createElement("li"), a = document.createElement("a"), info = document.createElement("span");
      li.className = "hubdir-" + (kind || "result");
      a.className = "hubdir-" + (kind || "result") + "__link"; a.href = root + row[0];
      a.textContent = english && row[2] ? row[2] : row[1];
      li.appendChild(a);
      if (english && row[2]) { var zh = document.createElement("span"); zh.className = "hubdir-result__zh"; zh.lang = "zh-CN"; zh.textContent = row[1]; li.appendChild(zh); }
      var parts = [m.kinds[row[3]][english ? 1 : 0]];
      var place = english ? (row[6] || row[5]) : row[5];
      if (place) parts.push(place);
      if (row[4]) parts.push((m.status[row[4]] || [row[4], row[4]])[english ? 1 : 0]);
      info.className = "hubdir-result__meta"; info.textContent = parts.join(" · ");
      li.appendChild(info);
      target.appendChild(li);
    }
    function showHelp(p) {  // an empty result: the nearest place's hubs, the hotline, the kind pages
      if (!help) return Promise.resolve();
      help.hidden = false;
      var kinds = [], chain = null;
      (p ? p.segments : []).forEach(function (s) {
        if (s.type() === "k") kinds = kinds.concat(s.concepts.map(function (c) { return c.slice(2); }));
        if (s.type() === "p" && !chain) chain = s.chains[0];
      });
      var numbers = index.meta.kinds.filter(function (k) { return kinds.indexOf(k[2]) !== -1 && k[3]; }).map(function (k) { return k[3]; });
      Array.prototype.forEach.call(help.querySelectorAll("[data-hotline]"), function (el) {
        var asked = numbers.indexOf(el.getAttribute("data-hotline")) !== -1;
        el.classList.toggle("hubdir-search-help__hotline--asked", asked);
        if (asked) el.parentNode.insertBefore(el, el.parentNode.firstChild);  // the hotline asked about first
      });
      if (!nearby || !chain) return Promise.resolve();
      var hubs = index.meta.groups.filter(function (g) { return g[1] === 1; });
      function tryAt(i) {
        if (i >= chain.length) return Promise.resolve();
        var key = "@e" + chain[i], name = "k/" + (fnv(key) % index.meta.key_shards);
        return shard(name).then(function () {
          var docs = members(index.lists(key)[0]).filter(function (n) {
            return hubs.some(function (g) { var next = index.meta.groups[index.meta.groups.indexOf(g) + 1]; return n >= g[0] && (!next || n < next[0]); });
          }).slice(0, 10);
          if (!docs.length) return tryAt(i + 1);
          return rowsFor(docs).then(function (rows) {
            var ul = nearby.querySelector("ul");
            ul.textContent = "";
            docs.forEach(function (n) { show(ul, rows[n], "nearhub"); });
            nearby.hidden = false;
          });
        });
      }
      return tryAt(0);
    }
    function run(query) {
      var token = {};
      current = token;
      list.textContent = ""; moreButton.hidden = true;
      if (help) help.hidden = !!query.trim();
      if (nearby) nearby.hidden = true;
      box.setAttribute("data-state", "done");  // tests and the benchmark wait for "done"
      if (!query.trim()) { status.textContent = ""; return; }
      status.textContent = say("loading", {});
      box.setAttribute("data-state", "loading");
      loadMeta().then(function (ix) {
        return interpret(ix, query, shard);
      }).then(function (p) {
        if (current !== token) return;
        if (!p) { status.textContent = say("short", {}); box.setAttribute("data-state", "done"); return; }
        var seen = new Uint8Array(index.meta.docs), ti = 0, pos = 0, shown = 0;
        function batch() {
          var out = [];
          while (ti < p.tiers.length && out.length < PAGE) {
            var docs = p.tiers[ti].docs;
            if (pos >= docs.length) { ti++; pos = 0; continue; }
            var n = docs[pos++];
            if (!seen[n]) out.push([n, p.tiers[ti]]);
          }
          return out;
        }
        // A page stops early when its candidates keep failing the check (a long pinyin word): after
        // 8 document shards with something shown, or 24 with nothing; "more" goes on from there.
        function page(target) {
          var cands = batch();
          if (!cands.length) return finish();
          return rowsFor(cands.map(function (c) { return c[0]; })).then(function (rows) {
            if (current !== token) return;
            cands.forEach(function (c) {
              if (seen[c[0]] || !verify(p, c[1], rows[c[0]])) return;
              seen[c[0]] = 1; show(list, rows[c[0]]); shown++;
            });
            if (shown < target && !(fetchedRows >= 8 && shown) && fetchedRows < 24) return page(target);
            return finish();
          });
        }
        function finish() {
          var left = ti < p.tiers.length;
          moreButton.hidden = !left;
          var lead = p.mode !== "exact" && shown ? say(p.mode, {}) + " " : "";
          if (!shown && !left) {
            status.textContent = say("none", { query: query.trim() });
            return showHelp(p).then(function () { if (current === token) box.setAttribute("data-state", "done"); });
          }
          if (p.exactCount) status.textContent = lead + say("results", { count: p.count });
          else status.textContent = lead + say("showing", { shown: shown });
          box.setAttribute("data-state", "done");
        }
        moreButton.onclick = function () { fetchedRows = 0; box.setAttribute("data-state", "loading"); page(shown + PAGE).catch(fail); };
        fetchedRows = 0;
        return page(PAGE);
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

  function init() { Array.prototype.forEach.call(document.querySelectorAll("[data-hubdir-search]"), search); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
