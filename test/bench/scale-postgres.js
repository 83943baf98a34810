// The scale section's data on PostgreSQL: the same sites, customers, tickets, messages and
// events as the SQLite generator writes (same ids, statuses and times), made by the
// database itself with generate_series. Triggers (the live NOTIFY) are off while it runs,
// as for a restore; ANALYZE afterwards, as autovacuum would do soon after a bulk load.
import pg from 'pg';

const SITES = 10;
const CUSTOMERS = 10_000;

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function generatePostgres(url, count, keys) {
  return withClient(url, async (db) => {
    const started = performance.now();
    const now = Date.now();
    await db.query('SET session_replication_role = replica');
    // Placeholders: $1 the bench site, $2 the bench customer, $3 now, $4 the count.
    const site = (n, p = '$1') => `case when ${n} % ${SITES} = 0 then ${p} else 'site_bench' || (${n} % ${SITES}) end`;
    const customer = (n) => `case when ${n} % ${CUSTOMERS} = 0 then $2 else 'cus_bench' || (${n} % ${CUSTOMERS}) end`;
    const at = `($3::bigint - ($4::bigint - i) * 1000)`;
    await db.query(
      `insert into sites (id, name, site_key, secret_key, secret_key_hash, origins, created_at, texts)
       select 'site_bench' || s, 'Site ' || s, 'pk_bench' || s, 'sk_bench' || s, 'hash' || s, '[]', $1, '{}' from generate_series(1, ${SITES - 1}) s`,
      [now],
    );
    await db.query(
      `insert into customers (id, site_id, external_id, created_at)
       select 'cus_bench' || c, ${site('c', '$2')}, 'user' || c, $1 from generate_series(1, ${CUSTOMERS - 1}) c`,
      [now, keys.site.id],
    );
    const params = [keys.site.id, keys.customerId, now, count];
    for (let from = 0; from < count; from += 250_000) {
      const range = `generate_series(${from}, ${Math.min(count, from + 250_000) - 1}) i`;
      await db.query(
        `with t as (
           insert into tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at)
           select 'tk_bench' || i, ${site('i')}, ${customer('i')}, 'Question number ' || i || ' about order ' || (i % 977),
                  (array['new', 'open', 'answered', 'closed', 'closed', 'closed'])[i % 6 + 1], 2, ${at}, ${at}, ${at}, ${at}
           from ${range}
           returning id, site_id, customer_id, created_at
         ), m as (
           insert into messages (id, ticket_id, author_kind, author_id, body, internal, created_at)
           select 'msg_' || substr(id, 4), id, 'customer', customer_id, 'Hello, I need help with my order.', false, created_at from t
         )
         insert into events (ticket_id, site_id, customer_id, type, from_status, to_status, actor_kind, actor_id, at)
         select id, site_id, customer_id, 'created', null, 'new', 'customer', customer_id, created_at from t order by created_at`,
        params,
      );
    }
    await db.query('SET session_replication_role = DEFAULT');
    await db.query('ANALYZE');
    return performance.now() - started;
  });
}

/** A ticket of the bench customer with 200 messages. */
export function longThreadPostgres(url, keys) {
  return withClient(url, async (db) => {
    const now = Date.now();
    await db.query(
      "insert into tickets (id, site_id, customer_id, subject, status, version, created_at, updated_at, last_event_at, last_activity_at) values ('tk_long', $1, $2, 'Long thread', 'open', 1, $3, $3, $3, $3)",
      [keys.site.id, keys.customerId, now],
    );
    await db.query(
      `insert into messages (id, ticket_id, author_kind, author_id, body, internal, created_at)
       select 'msg_long' || i, 'tk_long', case when i % 2 = 1 then 'agent' else 'customer' end, $1, 'One more message in a long thread.', false, $2::bigint + i
       from generate_series(0, 199) i`,
      [keys.customerId, now],
    );
    await db.query(
      "insert into events (ticket_id, site_id, customer_id, type, from_status, to_status, actor_kind, actor_id, at) values ('tk_long', $1, $2, 'created', null, 'new', 'customer', $2, $3)",
      [keys.site.id, keys.customerId, now],
    );
  });
}

/** Makes `due` tickets resolved long ago, for the sweeper. */
export function makeDuePostgres(url, due) {
  return withClient(url, (db) =>
    db.query("update tickets set status = 'resolved', resolved_at = $1 where id in (select id from tickets where status <> 'closed' limit $2)", [Date.now() - 100 * 3_600_000, due]),
  );
}

export const sizePostgres = (url) => withClient(url, async (db) => Number((await db.query('select pg_database_size(current_database()) n')).rows[0].n));
