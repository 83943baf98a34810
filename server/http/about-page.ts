import type http from 'node:http';

/** `GET /`: a person who opens the API's address in a browser learns what it is, not a raw 404. */
export function aboutPage(res: http.ServerResponse) {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Closeloop</title>' +
      '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#111827}code{background:#f3f4f6;padding:0 .3em}</style></head>' +
      '<body><h1>Closeloop</h1><p>This is a Closeloop server: the support-ticket API and widget. It serves:</p><ul>' +
      '<li><code>/trpc/…</code>: the API, for the widget, the SDK and your backend</li>' +
      '<li><code>/widget.js</code>: the widget, for a <code>&lt;script&gt;</code> tag on your pages</li>' +
      '<li><code>/healthz</code>: a health check</li></ul></body></html>',
  );
}
