/** The demo's HTML pages: a shop and a portal, as a site owner would write them. */
import { escapeHtml as escape } from '../../server/http/escape-html.js';

const STYLE = `body{font-family:Georgia,serif;margin:0;background:#fbfaf7;color:#222}header{background:#222;color:#fff;padding:14px 32px;display:flex;gap:24px;align-items:center}
header a{color:#fff}main{padding:32px;max-width:760px}.products{display:grid;grid-template-columns:repeat(3,1fr);gap:16px}.product{background:#fff;border:1px solid #ddd;padding:16px;border-radius:6px}
.who{margin-left:auto;font-family:system-ui;font-size:14px}.who button{margin-left:8px}`;

export function shopPage(apiUrl: string, siteKey: string) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Shop — Closeloop demo</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body>
<header><strong>Acme Shop</strong><a href="/portal">Help centre</a><a href="/mail">Demo inbox</a>
<span class="who">Browsing as <b id="who">a guest</b>
<button id="alice">Sign in as Alice</button><button id="bob">Sign in as Bob</button><button id="out">Sign out</button></span></header>
<main><h1>Fine things, shipped fast</h1><div class="products">
<div class="product"><h2>Teapot</h2><p>€24</p></div><div class="product"><h2>Mug</h2><p>€9</p></div><div class="product"><h2>Kettle</h2><p>€39</p></div></div>
<p>Need help? Use the support button in the corner.</p></main>
<script>
  // The site's own login: its backend signs an identity token for the widget.
  window.Closeloop = window.Closeloop || function () { (Closeloop.q = Closeloop.q || []).push(arguments); };
  const user = localStorage.getItem('demo-user');
  if (user) {
    document.getElementById('who').textContent = user;
    fetch('/identity?user=' + encodeURIComponent(user)).then((r) => r.text()).then((identity) => Closeloop('boot', { identity }));
  } else {
    Closeloop('boot', {});
  }
  const signIn = (name) => { Closeloop('shutdown'); localStorage.setItem('demo-user', name); location.reload(); };
  document.getElementById('alice').onclick = () => signIn('Alice');
  document.getElementById('bob').onclick = () => signIn('Bob');
  document.getElementById('out').onclick = () => { Closeloop('shutdown'); localStorage.removeItem('demo-user'); location.reload(); };
</script>
<script src="${escape(apiUrl)}/widget.js" data-site-key="${escape(siteKey)}" async></script>
</body></html>`;
}

export function portalPage(apiUrl: string, siteKey: string) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Help centre — Acme Shop</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body>
<header><strong>Acme Shop</strong><a href="/">Shop</a><a href="/mail">Demo inbox</a></header>
<main><h1>Help centre</h1><div id="support"></div></main>
<script>
  window.Closeloop = window.Closeloop || function () { (Closeloop.q = Closeloop.q || []).push(arguments); };
  Closeloop('mount', '#support');
</script>
<script src="${escape(apiUrl)}/widget.js" data-site-key="${escape(siteKey)}" async></script>
</body></html>`;
}
