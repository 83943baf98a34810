// The floor on PostgreSQL: a bare node:http server doing the same database work as
// tickets.create, tickets.get and tickets.list with the same driver (pg) and pool size
// as the PostgreSQL store, no framework. A create takes the same event-order lock the
// store takes, since without it event ids could become visible out of order.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';

const [url] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: 10 });
const EVENT_ORDER_LOCK = 0x636c6576;

const sha = (v) => createHash('sha256').update(v).digest('hex');
const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function session(token) {
  const { rows } = await pool.query({
    name: 'session',
    text: 'select s.site_id, s.customer_id from customer_sessions s where s.token_hash = $1 and s.revoked_at is null',
    values: [sha(token)],
  });
  return rows[0];
}

async function create(auth, subject, body) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const now = Date.now();
    const id = `tk_${randomBytes(12).toString('base64url')}`;
    const messageId = `msg_${randomBytes(12).toString('base64url')}`;
    const { rows } = await client.query({
      name: 'ticket',
      text: `insert into tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at)
             values ($1, $2, $3, $4, 'new', 1, $5, $5, $5, $5) returning *`,
      values: [id, auth.site_id, auth.customer_id, subject, now],
    });
    await client.query({
      name: 'message',
      text: "insert into messages (id, ticket_id, author_kind, author_id, body, internal, created_at) values ($1, $2, 'customer', $3, $4, false, $5)",
      values: [messageId, id, auth.customer_id, body, now],
    });
    await client.query({ name: 'order', text: 'select pg_advisory_xact_lock($1)', values: [EVENT_ORDER_LOCK] });
    await client.query({
      name: 'event',
      text: "insert into events (ticket_id, site_id, customer_id, type, from_status, to_status, actor_kind, actor_id, message_id, at) values ($1, $2, $3, 'created', null, 'new', 'customer', $3, $4, $5)",
      values: [id, auth.site_id, auth.customer_id, messageId, now],
    });
    await client.query('COMMIT');
    return rows[0];
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function get(auth, id) {
  // The ticket and its thread in one statement, as of one moment: the store reads them so.
  const { rows } = await pool.query({
    name: 'get',
    text:
      "select t.*, (select coalesce(json_agg(m order by m.created_at), '[]') from messages m where m.ticket_id = t.id and not m.internal) as messages, " +
      "(select coalesce(json_agg(e order by e.id), '[]') from events e where e.ticket_id = t.id) as events from tickets t where t.id = $1 and t.customer_id = $2",
    values: [id, auth.customer_id],
  });
  if (!rows[0]) return null;
  const { messages, events, ...ticket } = rows[0];
  return { ticket, messages, events };
}

const list = async (auth) =>
  (
    await pool.query({
      name: 'list',
      text: "select * from tickets where customer_id = $1 and status not in ('spam', 'deleted') order by last_activity_at desc, id desc limit 21",
      values: [auth.customer_id],
    })
  ).rows;

const readBody = (req) =>
  new Promise((resolve) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => resolve(raw));
  });

const server = http.createServer(async (req, res) => {
  try {
    const auth = await session((req.headers.authorization ?? '').slice('Bearer '.length));
    if (!auth) return json(res, 401, { error: 'unauthorized' });
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/create') {
      const input = JSON.parse(await readBody(req));
      return json(res, 200, { result: { data: await create(auth, input.subject, input.message) } });
    }
    if (url.pathname === '/get') {
      const found = await get(auth, url.searchParams.get('id'));
      return found ? json(res, 200, { result: { data: found } }) : json(res, 404, { error: 'not found' });
    }
    if (url.pathname === '/list') return json(res, 200, { result: { data: { items: await list(auth) } } });
    json(res, 404, { error: 'not found' });
  } catch (error) {
    json(res, 500, { error: String(error) });
  }
});
server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, port: server.address().port }));
process.on('message', (m) => {
  if (m.cmd === 'rss') process.send?.({ rss: process.memoryUsage().rss });
});
