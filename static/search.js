// Site search (home page). Loads MiniSearch and the index with script tags on first use, so it works
// from disk (file://) as well as served; without JavaScript the page still lists every story.
(function () {
  "use strict";
  var me = document.currentScript;
  var form = document.querySelector("form[role=search]");
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!form || !input || !list || !me) return;
  var root = form.getAttribute("data-root") || "";
  var engine = null;
  var loading = null;

  function load(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }

  function ready() {
    if (!loading) {
      loading = load(me.getAttribute("data-minisearch"))
        .then(function () { return load(me.getAttribute("data-index")); })
        .then(function () {
          engine = new window.MiniSearch({
            fields: ["title", "text", "topics"],
            storeFields: ["title", "url", "date"],
            searchOptions: { boost: { title: 3, topics: 1.5 }, prefix: true, fuzzy: 0.15, combineWith: "AND" }
          });
          engine.addAll(window.SEARCH_DOCS || []);
        });
    }
    return loading;
  }

  function show(query) {
    query = query.trim();
    list.replaceChildren();
    if (!query) { status.textContent = ""; return; }
    var hits = engine.search(query, { fuzzy: false });
    if (!hits.length) hits = engine.search(query);  // only then allow a typo
    hits = hits.slice(0, 50);
    status.textContent = hits.length ? hits.length + (hits.length === 50 ? "+" : "") + " matching " +
      (hits.length === 1 ? "story" : "stories") : "No stories match \u201c" + query + "\u201d.";
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = root + hit.url;
      a.textContent = hit.title;
      li.appendChild(a);
      if (hit.date) {
        var t = document.createElement("span");
        t.className = "meta";
        t.textContent = " " + hit.date;
        li.appendChild(t);
      }
      list.appendChild(li);
    });
  }

  function run() {
    var query = input.value;
    ready().then(function () { if (input.value === query) show(query); })
      .catch(function (err) { status.textContent = "Search is unavailable: " + err.message; });
  }

  input.addEventListener("focus", function () { ready().catch(function () {}); });
  input.addEventListener("input", run);
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; run(); }
})();
