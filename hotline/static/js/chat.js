// Web chat widget (网页在线咨询): open a conversation, send lines, poll for the agent's answers.
// Works on the home page (a floating panel) and on /chat (embedded); no outside resources.
(function () {
  "use strict";
  var root = document.getElementById("chat-widget");
  if (!root) { return; }
  var d = root.dataset;
  var panel = document.getElementById("chat-panel");
  var toggle = document.getElementById("chat-toggle");
  var closeButton = document.getElementById("chat-close");
  var list = document.getElementById("chat-lines");
  var startForm = document.getElementById("chat-start");
  // The CSRF token the page was rendered with (base.html's meta tag); sent on every POST.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  var sendForm = document.getElementById("chat-send");
  var status = document.getElementById("chat-status");
  var KEY = "hotline.chat";
  var POLL_MS = 3000;
  var state = null;  // {id, token}
  var last = 0;
  var seen = {};
  var timer = null;

  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function save() {
    try {
      if (state) { window.sessionStorage.setItem(KEY, JSON.stringify(state)); }
      else { window.sessionStorage.removeItem(KEY); }
    } catch (e) { /* private mode: the chat still works until the page is left */ }
  }

  function render(line) {
    if (seen[line.id]) { return; }
    seen[line.id] = true;
    last = Math.max(last, line.id);
    var who = line.author === "citizen" ? d.textYou
      : line.author === "agent" ? (line.label || d.textAgent) : d.textSystem;
    var item = document.createElement("li");
    item.className = "chat-line from-" + line.author;
    var name = document.createElement("span");
    name.className = "who";
    name.textContent = who;
    var body = document.createElement("div");
    body.className = "body";
    body.textContent = line.body;
    item.appendChild(name);
    item.appendChild(body);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function linesUrl(query) {
    return d.baseUrl + encodeURIComponent(state.id) + "/lines" + (query || "");
  }

  function showError(response) {
    return response.json().then(function (data) {
      status.textContent = (data && data.error && data.error.message) || d.textError;
    }, function () { status.textContent = d.textError; });
  }

  function ended() {
    status.textContent = d.textClosed;
    sendForm.hidden = true;
    startForm.hidden = false;
    state = null;
    save();
  }

  function schedule() {
    clearTimeout(timer);
    timer = state ? setTimeout(poll, POLL_MS) : null;
  }

  function poll() {
    if (!state) { return; }
    fetch(linesUrl("?after=" + last), { headers: { "X-Chat-Token": state.token }, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 404) { ended(); return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (data) {
        if (!data) { return; }
        data.lines.forEach(render);
        if (data.status === "closed") { ended(); }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(schedule);
  }

  function begin(data) {
    state = { id: data.id, token: data.token };
    save();
    startForm.hidden = true;
    sendForm.hidden = false;
    status.textContent = d.textWaiting;
    (data.lines || []).forEach(render);
    schedule();
  }

  startForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      text: startForm.elements.text.value,
      name: startForm.elements.name.value,
      phone: startForm.elements.phone.value
    };
    fetch(d.startUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }, body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status !== 201) { return showError(r); }
      return r.json().then(function (data) { startForm.elements.text.value = ""; begin(data); });
    }).catch(function () { status.textContent = d.textError; });
  });

  sendForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var field = sendForm.elements.text;
    if (!state || !field.value.trim()) { return; }
    fetch(linesUrl(), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Chat-Token": state.token,
                 "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ text: field.value })
    }).then(function (r) {
      if (r.status !== 201) { return showError(r); }
      return r.json().then(function (data) { field.value = ""; status.textContent = ""; render(data.line); });
    }).catch(function () { status.textContent = d.textError; });
  });

  sendForm.elements.text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendForm.requestSubmit();
    }
  });

  function setOpen(open) {
    panel.hidden = !open;
    if (toggle) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); }
    if (open) { (state ? sendForm : startForm).elements.text.focus(); }
  }
  if (toggle) { toggle.addEventListener("click", function () { setOpen(panel.hidden); }); }
  if (closeButton) { closeButton.addEventListener("click", function () { setOpen(false); }); }

  state = load();
  if (state) {
    startForm.hidden = true;
    sendForm.hidden = false;
    poll();
  }
})();
