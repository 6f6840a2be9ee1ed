// Small DOM helpers shared by the console, the intake suggestions and the knowledge-base
// box; loaded (deferred) before them: window.hotlineDom.el and window.hotlineDom.debounce.
(function () {
  "use strict";

  // Call fn once the calls have paused for ms milliseconds (typing, say).
  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // A new element with attributes and children (strings become text nodes, never HTML).
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  window.hotlineDom = { debounce: debounce, el: el };
})();
