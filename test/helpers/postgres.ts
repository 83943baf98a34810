/**
 * A real PostgreSQL for the tests that need one: a fresh database per call on the
 * server named by CLOSELOOP_TEST_DATABASE_URL (`.ci/run` starts one with
 * scripts/ci/postgres.sh; so can you). Without it those tests are skipped, loudly.
 */
import pg from 'pg';

export const POSTGRES_URL = process.env.CLOSELOOP_TEST_DATABASE_URL ?? '';
export const SKIP_POSTGRES = POSTGRES_URL === '';
if (SKIP_POSTGRES) {
  console.warn('\n!!! CLOSELOOP_TEST_DATABASE_URL is not set: the PostgreSQL tests are SKIPPED (url=$(bash scripts/ci/postgres.sh) starts one) !!!\n');
}

/** Creates an empty database with a unique name; resolves with its URL and a function that drops it. */
export async function freshPostgresDatabase(prefix = 'closeloop_test') {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = new pg.Client({ connectionString: POSTGRES_URL });
      await again.connect();
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await again.end();
    },
  };
}
