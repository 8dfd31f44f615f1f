// The service points' search (A1): where the browser can tell its location, a "Use my location"
// button fills the place with the coordinates and sends the form. Without it (or without
// JavaScript) the client types a town: the page works the same.
(function () {
  "use strict";
  var button = document.querySelector("[data-use-location]");
  var form = button && button.closest("form");
  if (!form || !("geolocation" in navigator)) { return; }
  var input = form.querySelector("input[name=near]");
  var status = form.querySelector("[data-location-status]");
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-wait") || "";
    navigator.geolocation.getCurrentPosition(function (where) {
      input.value = where.coords.latitude.toFixed(5) + ", " + where.coords.longitude.toFixed(5);
      form.submit();
    }, function () {
      status.textContent = button.getAttribute("data-failed") || "";
      input.focus();
    }, { timeout: 10000, maximumAge: 600000 });
  });
})();
