import { defineConfig } from 'drizzle-kit';

/** PostgreSQL migrations, generated beside the SQLite ones: `npm run db:generate` makes both. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/store/postgres/schema.ts',
  out: './server/store/postgres/migrations',
});
