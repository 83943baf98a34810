// The floor: a bare node:http server doing the same SQLite work as tickets.create,
// tickets.get and tickets.list with better-sqlite3 prepared statements, no framework.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import Database from 'better-sqlite3';

const [file] = process.argv.slice(2);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');

const session = db.prepare(
  'select s.site_id, s.customer_id from customer_sessions s where s.token_hash = ? and s.revoked_at is null',
);
const insertTicket = db.prepare(
  `insert into tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at)
   values (?, ?, ?, ?, 'new', 1, ?, ?, ?, ?) returning *`,
);
const insertMessage = db.prepare('insert into messages (id, ticket_id, author_kind, author_id, body, internal, created_at) values (?, ?, ?, ?, ?, 0, ?)');
const insertEvent = db.prepare(
  "insert into events (ticket_id, site_id, customer_id, type, from_status, to_status, actor_kind, actor_id, message_id, at) values (?, ?, ?, 'created', null, 'new', 'customer', ?, ?, ?)",
);
const getTicket = db.prepare('select * from tickets where id = ? and customer_id = ?');
const getMessages = db.prepare('select * from messages where ticket_id = ? and internal = 0 order by created_at');
const getEvents = db.prepare('select * from events where ticket_id = ? order by id');
const listTickets = db.prepare(
  "select * from tickets where customer_id = ? and status not in ('spam', 'deleted') order by last_activity_at desc, id desc limit 21",
);
const create = db.transaction((auth, subject, body) => {
  const now = Date.now();
  const id = `tk_${randomBytes(12).toString('base64url')}`;
  const messageId = `msg_${randomBytes(12).toString('base64url')}`;
  const ticket = insertTicket.get(id, auth.site_id, auth.customer_id, subject, now, now, now, now);
  insertMessage.run(messageId, id, 'customer', auth.customer_id, body, now);
  insertEvent.run(id, auth.site_id, auth.customer_id, auth.customer_id, messageId, now);
  return ticket;
});

const sha = (v) => createHash('sha256').update(v).digest('hex');
const json = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const server = http.createServer((req, res) => {
  const token = (req.headers.authorization ?? '').slice('Bearer '.length);
  const auth = session.get(sha(token));
  if (!auth) return json(res, 401, { error: 'unauthorized' });
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST' && url.pathname === '/create') {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const input = JSON.parse(raw);
      json(res, 200, { result: { data: create(auth, input.subject, input.message) } });
    });
    return;
  }
  if (url.pathname === '/get') {
    const id = url.searchParams.get('id');
    const ticket = getTicket.get(id, auth.customer_id);
    if (!ticket) return json(res, 404, { error: 'not found' });
    return json(res, 200, { result: { data: { ticket, messages: getMessages.all(id), events: getEvents.all(id) } } });
  }
  if (url.pathname === '/list') return json(res, 200, { result: { data: { items: listTickets.all(auth.customer_id) } } });
  json(res, 404, { error: 'not found' });
});
server.listen(0, '127.0.0.1', () => process.send?.({ ready: true, port: server.address().port }));
process.on('message', (m) => {
  if (m.cmd === 'rss') process.send?.({ rss: process.memoryUsage().rss });
});
