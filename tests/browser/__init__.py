"""The browser tests: a package, so its fixtures (the stack on moto, the HTTP server, Chromium) are
package-scoped and end with it, before any other test starts its own moto."""
