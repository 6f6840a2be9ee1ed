// Case list: tick every row at once for a bulk action.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("#bulk-form input[name=numbers]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
