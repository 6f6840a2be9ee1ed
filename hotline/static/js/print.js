// The case sheet's print button (inline handlers are not allowed by the page's CSP).
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
