// Swagger UI for /api/openapi.json, from local files. With authentication on, the document
// itself needs credentials: the key the page keeps for this tab (or one typed here) is sent
// unless "Authorize" has set credentials of its own.
(function () {
  "use strict";
  var KEY_NAME = "price-runner.api-key";

  function storedKey() {
    return sessionStorage.getItem(KEY_NAME) || "";
  }

  document.getElementById("docs-auth").addEventListener("submit", function (event) {
    event.preventDefault();
    var key = document.getElementById("docs-key").value.trim();
    if (key) sessionStorage.setItem(KEY_NAME, key);
    else sessionStorage.removeItem(KEY_NAME);
    window.location.reload();
  });
  if (storedKey()) document.getElementById("docs-key").placeholder = "A key is set for this tab";

  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#ui",
    deepLinking: true,
    requestInterceptor: function (request) {
      var headers = request.headers;
      if (storedKey() && !headers.Authorization && !headers["X-API-Key"]) {
        headers.Authorization = "Bearer " + storedKey();
      }
      return request;
    },
  });
}());
