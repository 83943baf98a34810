/**
 * The agent console's tiny backend: the browser asks, this calls the agent
 * client with the site's secret key (which never reaches the browser), and
 * relays the live feed as server-sent events.
 */
import type http from 'node:http';
import { CloseloopError, type AgentClient } from '../../sdk/index.js';

const ACTIONS = ['reply', 'note', 'resolve', 'postpone', 'reopen', 'close', 'markSpam', 'unspam', 'delete', 'restore', 'purge', 'setTopic', 'setTags', 'setPriority'] as const;
type Action = (typeof ACTIONS)[number];

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 64 * 1024) throw new CloseloopError('VALIDATION', 'Request too large', 413);
  }
  try {
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    throw new CloseloopError('VALIDATION', 'The body is not JSON', 400);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

export function createConsoleApi(agent: AgentClient) {
  const streams = new Set<http.ServerResponse>();
  let stop: (() => void) | null = null;

  function ensureFeed() {
    if (stop) return;
    stop = agent.subscribe(
      (change, id) => {
        const line = `id: ${id}\ndata: ${JSON.stringify({ ticketId: change.ticketId, type: change.type })}\n\n`;
        for (const res of streams) res.write(line);
      },
      { onError: () => undefined },
    );
  }

  function openStream(req: http.IncomingMessage, res: http.ServerResponse) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    ensureFeed();
  }

  /** A file the agent attaches: its bytes go on to Closeloop as this agent's upload. */
  async function upload(req: http.IncomingMessage, search: URLSearchParams) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 100 * 1024 * 1024) throw new CloseloopError('ATTACHMENT_TOO_LARGE', 'That file is too large', 413);
      chunks.push(chunk);
    }
    return agent.attachments.upload(Buffer.concat(chunks), search.get('name') ?? 'file');
  }

  async function run(req: http.IncomingMessage, name: string, search: URLSearchParams): Promise<unknown> {
    if (req.method !== 'POST') throw new CloseloopError('VALIDATION', 'POST only', 405);
    if (name === 'upload') return upload(req, search);
    const input = await readJson(req);
    if (name === 'list') return agent.tickets.list(input as Parameters<AgentClient['tickets']['list']>[0]);
    if (name === 'get') return agent.tickets.get(input as { ticketId: string });
    if (name === 'emails') return agent.emails.list(input as { ticketId: string });
    if (name === 'site') return agent.site.get();
    if (name === 'next') return agent.tickets.next();
    if (name === 'metrics') return agent.metrics.summary(input as Parameters<AgentClient['metrics']['summary']>[0]);
    if (!(ACTIONS as readonly string[]).includes(name)) throw new CloseloopError('NOT_FOUND', 'No such action', 404);
    const action = agent.tickets[name as Action] as (input: unknown) => Promise<unknown>;
    return action(input);
  }

  return {
    stop() {
      stop?.();
      for (const res of streams) res.end();
    },
    /** Handles /console/api/*; false for anything else. */
    async handle(req: http.IncomingMessage, res: http.ServerResponse, path: string, search = new URLSearchParams()): Promise<boolean> {
      if (!path.startsWith('/console/api/')) return false;
      const name = path.slice('/console/api/'.length);
      if (name === 'events' && req.method === 'GET') {
        openStream(req, res);
        return true;
      }
      try {
        send(res, 200, await run(req, name, search));
      } catch (error) {
        const e = error instanceof CloseloopError ? error : new CloseloopError('INTERNAL', 'Something went wrong', 500);
        send(res, e.status || 500, { error: { code: e.code, message: e.message } });
      }
      return true;
    },
  };
}
