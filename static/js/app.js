/* Light progressive enhancement for the ledger's forms. Everything works without it;
   written in ES5 so that WeChat's in-app browser and old office desktops run it too. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status === 200) { try { done(JSON.parse(xhr.responseText)); } catch (e) { /* ignore */ } }
    };
    xhr.send();
  }

  function fillDatalist(list, values) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      list.appendChild(option);
    });
  }

  function setupFindingForm(form) {
    var site = form.querySelector("[name=site_name]");
    var item = form.querySelector("[name=item_code]");
    var lead = form.querySelector("[name=lead_unit]");
    var co = form.querySelector("[name=co_units]");
    var deadline = form.querySelector("[name=deadline]");
    var foundOn = form.querySelector("[name=found_on]");
    var hint = document.getElementById("deadline-hint");
    var newSite = document.getElementById("new-site");
    var leadTouched = !!(lead && lead.value);
    var deadlineTouched = !!(deadline && deadline.value);
    if (lead) { lead.addEventListener("change", function () { leadTouched = true; }); }
    if (deadline) { deadline.addEventListener("change", function () { deadlineTouched = true; }); }

    function severity() {
      var checked = form.querySelector("[name=severity]:checked");
      return checked ? checked.value : "general";
    }

    function refreshDefaults() {
      var url = form.getAttribute("data-defaults-url") + "?item=" + encodeURIComponent(item.value) +
        "&site=" + encodeURIComponent(site.value) + "&severity=" + encodeURIComponent(severity()) +
        "&from=" + encodeURIComponent(foundOn ? foundOn.value : "");
      getJSON(url, function (data) {
        if (data.lead_unit && !leadTouched) { lead.value = String(data.lead_unit); }
        if (co && data.co_units && data.co_units.length && !leadTouched) {
          Array.prototype.forEach.call(co.options, function (option) {
            option.selected = data.co_units.indexOf(parseInt(option.value, 10)) >= 0;
          });
        }
        if (data.deadline && !deadlineTouched) {
          deadline.value = data.deadline;
          if (hint) { hint.textContent = hint.getAttribute("data-template") ?
            hint.getAttribute("data-template").replace("N", data.working_days) : ""; }
        }
      });
    }

    if (site) {
      site.addEventListener("input", debounce(function () {
        getJSON(form.getAttribute("data-sites-url") + "?q=" + encodeURIComponent(site.value), function (data) {
          fillDatalist(document.getElementById("site-options"), data.results.map(function (s) { return s.name; }));
        });
      }, 250));
      site.addEventListener("change", function () {
        // ask the server whether this exact name is a known site before offering to create one
        getJSON(form.getAttribute("data-sites-url") + "?q=" + encodeURIComponent(site.value), function (data) {
          var known = null;
          data.results.forEach(function (s) { if (s.name === site.value) { known = s; } });
          if (newSite) { newSite.style.display = (!site.value || known) ? "none" : ""; }
          var address = form.querySelector("[name=address]");
          if (known && address && !address.value) { address.value = known.address; }
          refreshDefaults();
        });
      });
      if (newSite && !form.querySelector("#new-site .has-error")) { newSite.style.display = "none"; }
    }
    if (item) {
      item.addEventListener("input", debounce(function () {
        getJSON(form.getAttribute("data-items-url") + "?q=" + encodeURIComponent(item.value), function (data) {
          fillDatalist(document.getElementById("item-options"), data.results.map(function (i) { return i.label; }));
        });
      }, 250));
      item.addEventListener("change", refreshDefaults);
    }
    Array.prototype.forEach.call(form.querySelectorAll("[name=severity]"), function (radio) {
      radio.addEventListener("change", function () { deadlineTouched = false; refreshDefaults(); });
    });
    if (deadline && !deadline.value) { refreshDefaults(); }
  }

  function setupPhotoInputs(container, preview) {
    function show(input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        var figure = document.createElement("figure");
        if (window.URL && /^image\/(jpeg|png|webp|gif)$/.test(file.type)) {
          var img = document.createElement("img");
          img.src = window.URL.createObjectURL(file);
          img.alt = file.name;
          figure.appendChild(img);
        }
        var caption = document.createElement("figcaption");
        caption.textContent = file.name;
        figure.appendChild(caption);
        preview.appendChild(figure);
      });
    }
    container.addEventListener("change", function (event) {
      var input = event.target;
      if (input.type !== "file" || !input.files || !input.files.length) { return; }
      show(input);
      // keep this input (and its files) for the form, and offer a fresh one for the next photo
      var label = input.parentNode;
      var copy = label.cloneNode(true);
      var fresh = copy.querySelector("input");
      fresh.value = "";
      fresh.removeAttribute("id");
      label.parentNode.insertBefore(copy, label.nextSibling);
      label.style.display = "none";
    });
  }

  // A filter's search box over a long list (units, index items): its suggestions are fetched once,
  // when the box is first used, so the ledger page does not carry the list.
  function setupPicker(input) {
    var asked = false;
    function load() {
      if (asked) { return; }
      asked = true;
      getJSON(input.getAttribute("data-options"), function (labels) {
        fillDatalist(document.getElementById(input.getAttribute("list")), labels);
      });
    }
    input.addEventListener("focus", load);
    input.addEventListener("input", load);
  }

  // The checklist walk: mark the chosen verdict, open the note and photos of a 不合格 item, count progress.
  function setupInspectionForm(form) {
    var progress = document.getElementById("walk-progress");
    var items = form.querySelectorAll(".check-item");
    function refresh() {
      var done = 0, failed = 0;
      Array.prototype.forEach.call(items, function (item) {
        var chosen = item.querySelector("input[type=radio]:checked");
        Array.prototype.forEach.call(item.querySelectorAll(".verdicts label"), function (label) {
          var input = label.querySelector("input");
          label.className = label.className.replace(/\s*chosen/g, "") + (input && input.checked ? " chosen" : "");
        });
        if (chosen) { done += 1; }
        var isFail = chosen && chosen.value === "fail";
        if (isFail) { failed += 1; }
        item.className = item.className.replace(/\s*failed/g, "") + (isFail ? " failed" : "");
      });
      if (progress) {
        progress.textContent = progress.getAttribute("data-template")
          .replace("X", done).replace("N", progress.getAttribute("data-total")).replace("F", failed);
      }
    }
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.type === "radio") { refresh(); }
      if (input.type === "file") {
        var box = input.parentNode.parentNode;
        var count = 0;
        Array.prototype.forEach.call(box.querySelectorAll("input[type=file]"), function (each) {
          count += each.files ? each.files.length : 0;
        });
        var label = box.querySelector(".photo-count");
        if (label) { label.textContent = count ? count + " " + (label.getAttribute("data-unit") || "") : ""; }
      }
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("finding-form");
    if (form) { setupFindingForm(form); }
    Array.prototype.forEach.call(document.querySelectorAll("input[data-options]"), setupPicker);
    var inspection = document.getElementById("inspection-form");
    if (inspection) { setupInspectionForm(inspection); }
    Array.prototype.forEach.call(document.querySelectorAll(".photo-inputs"), function (container) {
      var preview = container.parentNode.querySelector(".photo-preview");
      if (preview) { setupPhotoInputs(container, preview); }
    });
  });
})();
