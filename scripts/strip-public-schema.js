// After `drizzle-kit generate`: drizzle-kit writes `REFERENCES "public"."t"` into foreign
// keys, which would tie the tables of a `?schema=` database to those in public. Unqualified,
// every name resolves in the schema the server works in (its search_path).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = join(import.meta.dirname, '../server/store/postgres/migrations');
for (const file of readdirSync(folder).filter((f) => f.endsWith('.sql'))) {
  const path = join(folder, file);
  const sql = readFileSync(path, 'utf8');
  const stripped = sql.replaceAll('REFERENCES "public".', 'REFERENCES ');
  if (stripped !== sql) writeFileSync(path, stripped);
}
