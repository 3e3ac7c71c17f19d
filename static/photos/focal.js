// The focal point picker on the photo change form: clicking the picture sets the focal point's two
// number inputs; typing in them moves the marker. No inline script: the site's CSP forbids it.
"use strict";
(function () {
  function round(share) {
    return Math.round(Math.min(Math.max(share, 0), 1) * 1000) / 1000;
  }

  function wire(picker) {
    var img = picker.querySelector("img");
    var marker = picker.querySelector(".focal-marker");
    var xInput = document.getElementById(picker.dataset.xInput);
    var yInput = document.getElementById(picker.dataset.yInput);
    if (!img || !marker || !xInput || !yInput) return;

    function place() {
      var x = parseFloat(xInput.value), y = parseFloat(yInput.value);
      if (isNaN(x) || isNaN(y)) return;
      marker.style.left = round(x) * 100 + "%";
      marker.style.top = round(y) * 100 + "%";
    }

    img.addEventListener("click", function (event) {
      var box = img.getBoundingClientRect();
      xInput.value = round((event.clientX - box.left) / box.width);
      yInput.value = round((event.clientY - box.top) / box.height);
      place();
      xInput.dispatchEvent(new Event("change", { bubbles: true }));
      yInput.dispatchEvent(new Event("change", { bubbles: true }));
    });
    xInput.addEventListener("input", place);
    yInput.addEventListener("input", place);
  }

  function start() {
    document.querySelectorAll(".focal-picker").forEach(wire);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
