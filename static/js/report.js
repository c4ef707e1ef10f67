/* The public report form and the office's triage pages: the phone's location, known sites by name,
   and reply templates filled into the reply box. ES5, for WeChat's in-app browser; the forms work
   without it (an address typed by hand, a template chosen without JavaScript is used as it is). */
(function () {
  "use strict";

  function setupLocation(form) {
    var button = document.getElementById("use-location");
    var status = document.getElementById("location-status");
    var lat = form.querySelector("[name=latitude]");
    var lon = form.querySelector("[name=longitude]");
    if (!button || !lat || !lon) { return; }
    if (!navigator.geolocation) { button.style.display = "none"; return; }
    button.addEventListener("click", function () {
      status.textContent = button.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        status.textContent = button.getAttribute("data-located").replace("{coords}", lat.value + ", " + lon.value)
          .replace("{metres}", String(Math.round(position.coords.accuracy)));
      }, function () {
        status.textContent = button.getAttribute("data-failed");
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }

  function setupSites(form) {
    var input = form.querySelector("[name=site_name]");
    var list = document.getElementById("site-options");
    var address = form.querySelector("[name=address]");
    if (!input || !list) { return; }
    var timer = null, found = [];
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var xhr = new XMLHttpRequest();
        xhr.open("GET", form.getAttribute("data-sites-url") + "?q=" + encodeURIComponent(input.value));
        xhr.onload = function () {
          if (xhr.status !== 200) { return; }
          found = JSON.parse(xhr.responseText).results;
          while (list.firstChild) { list.removeChild(list.firstChild); }
          found.forEach(function (site) {
            var option = document.createElement("option");
            option.value = site.name;
            list.appendChild(option);
          });
        };
        xhr.send();
      }, 250);
    });
    input.addEventListener("change", function () {
      found.forEach(function (site) {
        if (site.name === input.value && address && !address.value) { address.value = site.address; }
      });
    });
  }

  function setupReplies() {
    var data = document.getElementById("reply-templates");
    if (!data) { return; }
    var texts = JSON.parse(data.textContent);
    Array.prototype.forEach.call(document.querySelectorAll("form [name=template]"), function (select) {
      select.addEventListener("change", function () {
        var reply = select.form.querySelector("[name=reply]");
        if (reply && texts[select.value]) { reply.value = texts[select.value]; }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("report-form");
    if (form) { setupLocation(form); setupSites(form); }
    setupReplies();
  });
})();
