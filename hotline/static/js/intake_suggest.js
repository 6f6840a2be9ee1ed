// Intake suggestions for any form with data-suggest-url (the console, chat -> case): the top
// three categories always shown as chips; the category and the department filled in only
// when the server says the suggestion is likely (prefill: at or above the auto-dispatch
// threshold, or following the agent's own category). Below it the agent chooses.
(function () {
  "use strict";

  var el = window.hotlineDom.el;  // dom.js
  var debounce = window.hotlineDom.debounce;

  function attach(form) {
    var text = form.dataset;
    var content = form.querySelector("[name=content]");
    var address = form.querySelector("[name=address]");
    var category = form.querySelector("[name=category]");
    var department = form.querySelector("[name=department]");
    var urgency = form.querySelector("[name=urgency]");
    var box = form.querySelector(".suggestion");
    var suggestedCategory = form.querySelector("[name=suggested_category]");
    var suggestedDepartment = form.querySelector("[name=suggested_department]");
    if (!content || !category || !department || !box) { return; }
    var userPickedCategory = category.value !== "";
    var userPickedDepartment = department.value !== "";

    function show(data) {
      box.textContent = "";
      var parts = [];
      if (data.categories && data.categories.length && !userPickedCategory) {
        var chips = el("div", { "class": "chips category-chips" }, [text.textTop + "："]);
        data.categories.forEach(function (c) {
          var button = el("button", { type: "button", "class": "chip", "data-code": c.code },
            [c.name + " " + Math.round(c.score * 100) + "%"]);
          button.addEventListener("click", function () {
            category.value = c.code;
            userPickedCategory = true;
            suggest();
          });
          chips.appendChild(button);
        });
        box.appendChild(chips);
      }
      if (suggestedCategory) { suggestedCategory.value = data.suggested_category || ""; }
      if (suggestedDepartment) { suggestedDepartment.value = data.suggested_department || ""; }
      if (data.emergency) {
        box.appendChild(el("div", { "class": "flash flash-error emergency", role: "alert" }, [data.emergency]));
        if (urgency) { urgency.value = "urgent"; }
      }
      if (!userPickedCategory) { category.value = data.category || ""; }
      if (data.department) {
        parts.push(text.textSuggested + "：" + data.department_name);
        if (!userPickedDepartment) { department.value = data.department; }
      } else {
        if (!userPickedDepartment) { department.value = ""; }
        if (data.department_name) { parts.push(text.textUnsure + "：" + data.department_name); }
      }
      if (data.district) { parts.push(text.textPlace + "：" + data.district + (data.street ? " " + data.street : "")); }
      if (parts.length) { box.appendChild(el("div", {}, [parts.join(" · ")])); }
    }

    var suggest = debounce(function () {
      var params = new URLSearchParams({
        category: userPickedCategory ? category.value : "",
        address: address ? address.value : "", content: content.value.slice(0, 500)
      });
      fetch(form.dataset.suggestUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { show(data); } })
        .catch(function () { /* suggestions are a help, not a requirement */ });
    }, 300);

    category.addEventListener("change", function () {
      userPickedCategory = category.value !== "";
      suggest();
    });
    department.addEventListener("change", function () { userPickedDepartment = department.value !== ""; });
    content.addEventListener("input", suggest);
    if (address) { address.addEventListener("input", suggest); }
    if (content.value.trim()) { suggest(); }
  }

  document.querySelectorAll("form[data-suggest-url]").forEach(attach);
})();
