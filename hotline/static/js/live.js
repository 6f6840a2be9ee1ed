// Live staff pages without a reload: a short poll of /live every few seconds updates the
// waiting-chat and review badges, blinks the title while a citizen waits (agents), and when
// anything changed refreshes the page's live regions (the chat queue, the notices) from the
// same page fetched again. No CDN, no framework.
(function () {
  "use strict";
  var script = document.getElementById("live-script");
  if (!script || !window.fetch) { return; }
  var url = script.dataset.url;
  var waitingText = script.dataset.textWaiting || "";
  var title = document.title;
  var mark = null;
  var blink = null;
  var EVERY = 4000;

  function badge(id, n) {
    var node = document.getElementById(id);
    if (!node) { return; }
    node.textContent = String(n);
    node.hidden = !n;
  }

  function setBlink(waiting) {
    if (!document.getElementById("chat-badge")) { return; }  // not an agent's page
    if (waiting && !blink) {
      var on = false;
      blink = setInterval(function () {
        on = !on;
        document.title = on ? "【" + waitingText.replace("{n}", String(waiting)) + "】" : title;
      }, 1000);
    } else if (!waiting && blink) {
      clearInterval(blink);
      blink = null;
      document.title = title;
    }
  }

  function refreshRegions() {
    var regions = document.querySelectorAll("[data-live-region]");
    if (!regions.length) { return; }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          var name = region.getAttribute("data-live-region");
          var next = fresh.querySelector('[data-live-region="' + name + '"]');
          if (next) { region.innerHTML = next.innerHTML; }
        });
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function poll() {
    var again = function () { setTimeout(poll, EVERY); };
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var shown = document.getElementById("chat-badge");
        var rendered = shown ? parseInt(shown.textContent, 10) || 0 : data.waiting;
        var changed = mark === null ? rendered !== data.waiting : data.mark !== mark;
        badge("chat-badge", data.waiting);
        badge("review-badge", data.review);
        if (blink && data.waiting) { clearInterval(blink); blink = null; }
        setBlink(data.waiting);
        if (changed) { refreshRegions(); }
        mark = data.mark;
      })
      .catch(function () { /* the next poll tries again */ })
      .then(again);
  }
  setTimeout(poll, 500);
})();
