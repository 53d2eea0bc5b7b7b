// Behaviour every page shares, in place of inline event handlers (the Content-Security-Policy
// refuses onclick=…, onchange=… and inline <script>).
// - <select data-autosubmit>: choosing an option submits its form (a period picker).
// - <form data-confirm="question">: asks before submitting (revoke or rotate a token).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
