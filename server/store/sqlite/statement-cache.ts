import type Database from 'better-sqlite3';

/**
 * One statement per SQL text and connection, kept for the life of the process.
 *
 * better-sqlite3 12 compiled against Node 24.19+'s headers aborts the process when the
 * garbage collector finalizes a statement nobody references any more (nodejs/node#65446,
 * WiseLibs/better-sqlite3#1515; fixed in 13, which needs Node 22; scripts/rebuild-sqlite.sh
 * avoids those headers). drizzle prepares a fresh statement for each query it runs, so
 * garbage statements were constant. With every statement reused and held here, none is ever
 * collected; the set of SQL texts is small (the store's queries), so this is bounded per
 * connection, and reuse also saves SQLite a compile per query.
 */
const kept: Database.Statement[] = [];

export function reuseStatements(sqlite: Database.Database): Database.Database {
  const prepare = sqlite.prepare.bind(sqlite);
  const bySql = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = bySql.get(source);
    if (!statement) {
      statement = prepare(source);
      bySql.set(source, statement);
      kept.push(statement);
    } else if (statement.reader) {
      // drizzle switches a statement to rows-as-arrays for mapped selects; a reused one starts plain.
      statement.raw(false);
    }
    return statement;
  }) as Database.Database['prepare'];
  return sqlite;
}
