/* Poll an import/export job and move its progress bar; reload once it has finished. ES5, no libraries. */
(function () {
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-finished")) { return; }
  var url = box.getAttribute("data-status-url");
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () {
      if (xhr.status !== 200) { setTimeout(poll, 3000); return; }
      var s = JSON.parse(xhr.responseText);
      document.getElementById("job-status").textContent = s.status_label;
      document.getElementById("job-count").textContent = s.done + " / " + s.total;
      var bar = document.getElementById("job-progress");
      bar.value = s.percent;
      bar.textContent = s.percent + "%";
      if (s.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
    };
    xhr.onerror = function () { setTimeout(poll, 3000); };
    xhr.send();
  }
  setTimeout(poll, 500);
})();
