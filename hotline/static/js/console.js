// Agent console: caller history as the number is typed, repeat hints, call pop, keyboard use
// (suggestions: intake_suggest.js).
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var form = document.getElementById("intake-form");
  var phone = document.getElementById("phone");
  var history = document.getElementById("history");
  var content = document.getElementById("content");
  var text = root.dataset;

  var el = window.hotlineDom.el;  // dom.js
  var debounce = window.hotlineDom.debounce;

  function showHistory(items) {
    history.textContent = "";
    if (!items.length) {
      history.appendChild(el("li", { "class": "muted" }, [text.textNone]));
      return;
    }
    items.forEach(function (item) {
      history.appendChild(el("li", {}, [
        el("a", { href: item.url, "class": "mono" }, [item.number]), " ",
        el("span", { "class": "badge status-" + item.status }, [item.status_label]),
        el("br"), el("span", { "class": "muted" }, [item.created_at + " " + item.title])
      ]));
    });
  }

  var lookup = debounce(function () {
    var digits = phone.value.replace(/\D/g, "");
    if (digits.length < 7) { return; }
    fetch(root.dataset.lookupUrl + "?phone=" + encodeURIComponent(digits), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { showHistory(data.items); })
      .catch(function () { /* the form works without history */ });
  }, 250);

  phone.addEventListener("input", lookup);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  if (phone.value) { lookup(); }

  // Repeat hints (可能重复): the caller's open cases that resemble what is being typed.
  var repeats = document.getElementById("repeats");
  var checkRepeats = debounce(function () {
    var digits = phone.value.replace(/[^\d+]/g, "");
    if (!repeats) { return; }
    if (digits.length < 5 || content.value.trim().length < 4) { repeats.textContent = ""; return; }
    var params = new URLSearchParams({ phone: digits, content: content.value.slice(0, 1000) });
    fetch(root.dataset.repeatsUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        repeats.textContent = "";
        data.items.forEach(function (item) {
          repeats.appendChild(el("div", { "class": "flash flash-warn repeat-hint" }, [
            text.textRepeat + " ", el("a", { href: item.url, "class": "mono" }, [item.number]),
            " " + item.title + " · " + text.textSimilarity + " " + item.percent + "%"
          ]));
        });
      })
      .catch(function () { /* a hint, not a requirement */ });
  }, 400);
  phone.addEventListener("input", checkRepeats);
  content.addEventListener("input", checkRepeats);

  // Call pop (CTI): the phone system announces a call; this console takes it every 2 s.
  var banner = document.getElementById("call-banner");
  var callId = document.getElementById("call_id");
  var recording = document.getElementById("recording_ref");

  function fillCall(call) {
    phone.value = call.caller;
    callId.value = call.call_id;
    recording.value = call.recording;
    lookup();
    checkRepeats();
    content.focus();
  }

  function showCall(call) {
    var typed = phone.value.replace(/\D/g, "");
    var busy = content.value.trim() !== "" || (typed !== "" && typed !== call.caller.replace(/\D/g, ""));
    banner.textContent = "";
    banner.appendChild(el("strong", {}, [text.textCall + " " + call.masked]));
    banner.appendChild(document.createTextNode(" · " + call.call_id + " "));
    banner.hidden = false;
    if (busy) {
      var button = el("button", { type: "button", "class": "primary", id: "fill-call" }, [text.textFill]);
      button.addEventListener("click", function () { fillCall(call); button.remove(); });
      banner.appendChild(button);
    } else {
      fillCall(call);
    }
  }

  function pollCalls() {
    var again = function () { setTimeout(pollCalls, 2000); };
    if (document.visibilityState !== "visible") { again(); return; }
    fetch(root.dataset.callsUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { call: null }; })
      .then(function (data) { if (data.call) { showCall(data.call); } })
      .catch(function () { /* the next poll tries again */ })
      .then(again);
  }
  if (banner && root.dataset.callsUrl) { setTimeout(pollCalls, 300); }
})();
