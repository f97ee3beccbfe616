// Enhances the player's forms: answers and notes are sent without leaving the page, and the
// block, the progress and the contents are replaced by the server's own rendering of them.
// Without this file the same forms post and redirect back: nothing here is needed to learn.
(function () {
  "use strict";

  var REGIONS = ["player-progress", "completion-area", "todo-area", "contents"];

  function replaceById(doc, id) {
    var current = document.getElementById(id);
    var fresh = doc.getElementById(id);
    if (current && fresh) {
      current.replaceWith(document.importNode(fresh, true));
    }
  }

  function showFlashes(doc) {
    var fresh = doc.querySelector(".flashes");
    var current = document.querySelector(".flashes");
    if (current) {
      current.remove();
    }
    if (fresh) {
      var main = document.getElementById("main");
      main.insertBefore(document.importNode(fresh, true), main.firstChild);
    }
  }

  function focusResult(blockId) {
    var target = document.getElementById(blockId + "-result") ||
      document.querySelector("#" + blockId + " .error-summary");
    if (target) {
      target.focus();
    }
  }

  function enhance(form) {
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[type=submit]");
      if (form.dataset.sending === "yes") {
        event.preventDefault();
        return;
      }
      if (!window.fetch || !window.DOMParser) {
        return;
      }
      event.preventDefault();
      form.dataset.sending = "yes";
      if (button) {
        button.disabled = true;
      }
      var blockId = form.dataset.block;
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("status " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          if (!doc.getElementById(blockId)) {
            throw new Error("block missing from the answer");
          }
          replaceById(doc, blockId);
          REGIONS.forEach(function (id) { replaceById(doc, id); });
          showFlashes(doc);
          var section = document.getElementById(blockId);
          section.querySelectorAll("form.player-form").forEach(enhance);
          focusResult(blockId);
        })
        .catch(function () {
          // The same submission id goes with the ordinary post: the server stores it once.
          form.dataset.sending = "no";
          HTMLFormElement.prototype.submit.call(form);
        });
    });
  }

  document.querySelectorAll("form.player-form").forEach(enhance);
})();
