// A survey's form: the progress bar counts the questions answered; works without it (the bar stays empty).
(function () {
  var form = document.querySelector("[data-survey-form]");
  var bar = document.getElementById("survey-progress");
  if (!form || !bar) return;
  var text = document.getElementById("survey-progress-text");
  var questions = form.querySelectorAll("[data-question]");
  function answered(question) {
    var inputs = question.querySelectorAll("input, textarea");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : input.value.trim() !== "") return true;
    }
    return false;
  }
  function update() {
    var done = 0;
    for (var i = 0; i < questions.length; i++) if (answered(questions[i])) done++;
    bar.value = done;
    if (text) text.textContent = done + " / " + questions.length;
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
