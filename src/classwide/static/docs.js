// Starts Swagger UI on /docs (a file, not an inline script: the page's CSP forbids those).
window.addEventListener("load", () => {
  const box = document.getElementById("swagger-ui");
  if (typeof window.SwaggerUIBundle !== "function") {
    box.textContent = "Swagger UI is not installed on this server (run make install); " +
      "the API document is at /openapi.json.";
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
