// Knowledge-base box: results while the agent (or citizen) types, from /api/v1/kb/search.
// Used by the console (a result answers the call and closes it), the agent's web chat (a
// result fills the reply) and the mailbox and public pages (a result links to the article).
(function () {
  "use strict";
  var box = document.getElementById("kb-box");
  if (!box) { return; }
  var data = box.dataset;
  var query = document.getElementById("kb-query");
  var results = document.getElementById("kb-results");
  var source = data.kbSource ? document.querySelector(data.kbSource) : null;
  var target = data.kbTarget ? document.querySelector(data.kbTarget) : null;
  var lastAsked = "";
  var timer = null;

  var el = window.hotlineDom.el;  // dom.js

  function articleUrl(id) { return data.kbArticleUrl.replace(/0$/, String(id)); }

  function action(item) {
    if (data.kbMode === "answer") {
      return el("button", { "type": "submit", "form": "intake-form", "name": "kb_article",
        "value": String(item.id), "formaction": data.kbAnswerUrl, "class": "kb-answer-button" },
        [data.textAnswer]);
    }
    if (data.kbMode === "insert" && target) {
      var button = el("button", { "type": "button", "class": "kb-insert-button" }, [data.textInsert]);
      button.addEventListener("click", function () { target.value = item.answer; target.focus(); });
      return button;
    }
    return null;
  }

  function show(items) {
    results.textContent = "";
    if (!items.length) {
      results.appendChild(el("li", { "class": "muted" }, [data.textNone]));
      return;
    }
    items.forEach(function (item) {
      var children = [el("a", { "href": articleUrl(item.id), "target": "_blank",
        "rel": "noopener", "class": "kb-title" }, [item.title])];
      if (item.question) {
        children.push(el("div", { "class": "muted kb-matched" }, [data.textMatched + "：" + item.question]));
      }
      children.push(el("div", { "class": "kb-snippet" }, [item.snippet]));
      if (item.source) {
        children.push(el("small", { "class": "muted" }, [data.textSource + "：" + item.source]));
      }
      var button = action(item);
      if (button) { children.push(el("div", {}, [button])); }
      results.appendChild(el("li", { "class": "kb-result", "data-id": String(item.id) }, children));
    });
  }

  function ask(text) {
    text = (text || "").trim().slice(-200);
    if (text.length < 2 || text === lastAsked) { return; }
    lastAsked = text;
    fetch(data.kbUrl + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) { if (text === lastAsked) { show(body.items || []); } })
      .catch(function () { /* the box stays as it was; typing again retries */ });
  }

  function later(read) {
    return function () {
      clearTimeout(timer);
      timer = setTimeout(function () { ask(read()); }, 250);
    };
  }

  query.addEventListener("input", later(function () { return query.value; }));
  if (source) {
    source.addEventListener("input", later(function () { return source.value; }));
    if (source.value) { ask(source.value); }
  }
})();
