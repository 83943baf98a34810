/**
 * A tRPC link that makes one plain fetch per call: a query is a GET, a mutation
 * a POST of JSON. It is what the customer client (and so the widget) needs and
 * no more: no batching, streaming or transformers, which keeps tRPC's general
 * HTTP machinery (about 1.3 KB gzip) out of the widget's bundle.
 */
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { AppRouter } from '../server/api/app-router.js';
import type { LinkOptions } from './transport.js';

type Answer = { result: { data: unknown } } | { error: { message: string; code: number; data?: unknown } };

/** @internal (typed by the router: kept out of the published declarations) */
export const fetchLink =
  (opts: LinkOptions): TRPCLink<AppRouter> =>
  () =>
  ({ op }) =>
    observable((observer) => {
      const query = op.type === 'query';
      const input = op.input === undefined ? '' : JSON.stringify(op.input);
      const send = async () => {
        const res = await (opts.fetch ?? fetch)(`${opts.url}/${op.path}${query && input ? `?input=${encodeURIComponent(input)}` : ''}`, {
          method: query ? 'GET' : 'POST',
          headers: { ...(await opts.headers()), ...(query ? {} : { 'content-type': 'application/json' }) },
          ...(query || !input ? {} : { body: input }),
          signal: op.signal,
        });
        const answer = (await res.json()) as Answer;
        if ('error' in answer) throw TRPCClientError.from(answer);
        observer.next({ result: { type: 'data', data: answer.result.data } });
        observer.complete();
      };
      send().catch((error: unknown) => observer.error(TRPCClientError.from(error as Error)));
    });
