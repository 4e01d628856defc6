"""The frame of every page behind our links (pure): one self-contained HTML document with its style
inline, readable on a phone, and a Content-Security-Policy that lets it load nothing from anywhere
(no fonts, scripts, images or frames) and post its forms only to itself."""

from __future__ import annotations

from html import escape

# 'self' for forms: each page posts back to its own route; nothing else may load or run. The HTTP
# reply sends the same policy with `frame-ancestors 'none'` (runtime/http.py), which a meta tag cannot.
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'"

CSS = (
    "body{margin:0;background:#f9fafb;color:#1f2937;font:16px/1.5 system-ui,-apple-system,'Segoe UI',"
    "'PingFang SC','Microsoft YaHei',sans-serif}"
    "main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem 2rem}"
    "h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}"
    "p{margin:0 0 1rem}"
    "form{margin:0 0 1rem}"
    "fieldset{border:1px solid #d1d5db;border-radius:8px;background:#fff;margin:0 0 1rem;padding:.5rem 1rem 1rem}"
    "legend{font-weight:600;padding:0 .25rem}"
    "fieldset p{margin:.25rem 0 .5rem}"
    "button{font:inherit;min-height:44px;max-width:100%;margin:.25rem .5rem .25rem 0;padding:.5rem 1rem;"
    "border:2px solid #1d4ed8;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}"
    "button.quiet{background:#fff;color:#1d4ed8}"
    "button.leave{background:#fff;color:#b91c1c;border-color:#b91c1c}"
    "label{display:flex;align-items:center;gap:.5rem;min-height:44px}"
    "input{width:1.25rem;height:1.25rem;margin:0;flex:none}"
    "button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #b45309;outline-offset:2px}"
    "a{color:#1d4ed8}"
    ".status{background:#eff6ff;border-left:4px solid #1d4ed8;padding:.5rem .75rem}"
)


def page(locale: str, title: str, body: str) -> str:
    """`body` (already escaped HTML) under an `<h1>` of `title`, in a document of `locale`."""
    return (
        f'<!doctype html><html lang="{escape(locale, quote=True)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
