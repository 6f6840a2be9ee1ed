// Agent side of a web chat: new lines appear without a reload; replies are sent in place.
(function () {
  "use strict";
  var root = document.getElementById("agent-chat");
  if (!root) { return; }
  var d = root.dataset;
  var list = document.getElementById("chat-lines");
  var form = document.getElementById("agent-say");
  var last = parseInt(d.last || "0", 10);
  var POLL_MS = 3000;

  // The CSRF token the page was rendered with (base.html's meta tag); sent on every POST.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function render(line) {
    if (line.id <= last) { return; }
    last = line.id;
    var item = document.createElement("li");
    item.className = "chat-line from-" + line.author;
    item.setAttribute("data-id", String(line.id));
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = line.author === "citizen" ? d.textCitizen
      : line.author === "agent" ? line.label : d.textSystem;
    var time = document.createElement("time");
    time.textContent = line.at;
    var body = document.createElement("div");
    body.className = "body";
    body.textContent = line.body;
    item.appendChild(who);
    item.appendChild(time);
    item.appendChild(body);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function fetchNew() {
    return fetch(d.linesUrl + "?after=" + last, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.lines.forEach(render);
        var state = document.getElementById("chat-state");
        var text = d["state" + data.status.charAt(0).toUpperCase() + data.status.slice(1)];
        if (state && text) { state.textContent = text; }
      })
      .catch(function () { /* next time */ });
  }

  function loop() {
    fetchNew().then(function () { setTimeout(loop, POLL_MS); });
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var field = form.elements.text;
      if (!field.value.trim()) { return; }
      fetch(d.sayUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }, body: new FormData(form)
      }).then(function (r) {
        if (r.ok) { field.value = ""; fetchNew(); }
      });
    });
    form.elements.text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }
  list.scrollTop = list.scrollHeight;
  setTimeout(loop, POLL_MS);
})();
