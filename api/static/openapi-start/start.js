// Starts Swagger UI on the OpenAPI document the page carries in a data block. The page runs no
// inline script: its Content-Security-Policy allows only the service's own files.
(function () {
  "use strict";
  var spec = JSON.parse(document.getElementById("openapi-document").textContent);
  window.ui = SwaggerUIBundle({
    spec: spec,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
