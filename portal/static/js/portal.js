/* The portal's behaviour in the browser. The Content-Security-Policy runs scripts from this site's files only,
   never inline script or on* attributes, so pages ask for behaviour with data attributes:

     <form data-confirm="问题？">          asks the question before submitting; Cancel keeps the page as it is
           data-confirm-if="NAME"         ... only when the checkbox NAME is ticked (otherwise the server says what
                                          is missing)
           data-submit-once>              ... and then, once answered with OK, disables the submit button
     <img data-reload-on-click>           a click loads a new image (the 验证码); so does a click on a
     <button data-captcha-refresh>        「看不清，换一张」 beside it
     <a href="javascript:void(0)">        Flask-Admin's placeholder links do nothing, without running the URL
     <details data-open-wide>             open from the start on a wide screen
     <button data-text-size-toggle>       「大字」: enlarges the whole page; remembered in the text_size cookie, which
                                          the server reads to render the next page large from the start
*/
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    var condition = form.getAttribute("data-confirm-if");
    var ask = question && (!condition || (form.elements[condition] && form.elements[condition].checked));
    if (ask && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    if (ask && form.hasAttribute("data-submit-once")) {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }
  });

  document.addEventListener("click", function (event) {
    var image = event.target.closest("img[data-reload-on-click]");
    var refresh = event.target.closest("[data-captcha-refresh]");
    if (refresh) {
      image = refresh.parentNode.querySelector("img[data-reload-on-click]");
    }
    if (image) {
      image.src = image.src.split("?")[0] + "?r=" + Date.now();
    }
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-text-size-toggle]");
    if (!toggle) {
      return;
    }
    var large = document.documentElement.classList.toggle("large-text");
    toggle.setAttribute("aria-pressed", large ? "true" : "false");
    document.cookie = "text_size=" + (large ? "large" : "normal") + "; path=/; max-age=31536000; SameSite=Lax";
  });

  /* <details data-open-wide>: open from the start where the screen is wide (the full 申请表 on 预览); on a phone
     it stays one tap away below the stacked summary */
  if (window.matchMedia("(min-width: 761px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) { details.open = true; });
  }

  /* Capturing, so that it also holds for links whose own handlers stop the click's propagation. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (link && link.getAttribute("href") === "javascript:void(0)") {
      event.preventDefault();
    }
  }, true);
})();
