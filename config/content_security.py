"""The Content-Security-Policy every page is served with (django-csp's setting); documents
we serve get a stricter `sandbox` policy of their own."""

from csp import constants as csp_constants

# No inline script anywhere: scripts come from our static files, or carry the per-request
# nonce (`{{ request.csp_nonce }}`).
POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        "connect-src": [csp_constants.SELF],
        # blob: the compose page shows a chosen PDF (as application/pdf) before uploading.
        "frame-src": [csp_constants.SELF, "blob:"],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.NONE],
        "frame-ancestors": [csp_constants.NONE],
    }
}
