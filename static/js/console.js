// Agent console: caller history as the number is typed, department suggestion, keyboard use.
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) { return; }
  var form = document.getElementById("intake-form");
  var phone = document.getElementById("phone");
  var history = document.getElementById("history");
  var category = document.getElementById("category");
  var address = document.getElementById("address");
  var content = document.getElementById("content");
  var department = document.getElementById("department");
  var suggestion = document.getElementById("suggestion");
  var text = root.dataset;
  var userPickedDepartment = false;

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

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

  var suggest = debounce(function () {
    var params = new URLSearchParams({
      category: category.value, address: address.value, content: content.value.slice(0, 500)
    });
    fetch(root.dataset.suggestUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) {
        suggestion.textContent = "";
        var parts = [];
        if (data.categories && data.categories.length && !category.value) {
          data.categories.forEach(function (c) {
            var button = el("button", { type: "button", "class": "chip", "data-code": c.code },
              [c.name + " " + Math.round(c.score * 100) + "%"]);
            button.addEventListener("click", function () {
              category.value = c.code;
              suggest();
            });
            suggestion.appendChild(button);
          });
        }
        if (data.emergency) {
          suggestion.appendChild(el("div", { "class": "flash flash-error", role: "alert" }, [data.emergency]));
          document.getElementById("urgency").value = "urgent";
        }
        if (data.department) {
          parts.push(text.textSuggested + "：" + data.department_name);
          if (!userPickedDepartment) { department.value = data.department; }
        }
        if (data.district) { parts.push(text.textPlace + "：" + data.district + (data.street ? " " + data.street : "")); }
        if (parts.length) { suggestion.appendChild(el("div", {}, [parts.join(" · ")])); }
      })
      .catch(function () { /* suggestions are a help, not a requirement */ });
  }, 300);

  phone.addEventListener("input", lookup);
  category.addEventListener("change", suggest);
  address.addEventListener("input", suggest);
  content.addEventListener("input", suggest);
  department.addEventListener("change", function () { userPickedDepartment = true; });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  if (phone.value) { lookup(); }
})();
