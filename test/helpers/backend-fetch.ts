/**
 * fetch as a backend does it, over node:http: no Origin header. Widget tests run in
 * happy-dom, whose fetch behaves like a browser's and sends the page's Origin, which
 * the server rightly refuses for agent calls.
 */
import http from 'node:http';

export const backendFetch: typeof fetch = (input, init = {}) =>
  new Promise((resolve, reject) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => (headers[key] = value));
    const req = http.request(url, { method: init.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answer = new Headers();
        for (const [key, value] of Object.entries(res.headers)) if (typeof value === 'string') answer.set(key, value);
        resolve(new Response(Buffer.concat(chunks).toString('utf8'), { status: res.statusCode ?? 0, headers: answer }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
    req.end(typeof init.body === 'string' ? init.body : undefined);
  });
