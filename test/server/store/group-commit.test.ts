import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupCommit } from '../../../server/store/sqlite/group-commit.js';
import { tempDbPath } from '../../helpers/test-server.js';

describe('group commit', () => {
  let db: ReturnType<typeof tempDbPath>;
  let sqlite: Database.Database;
  let reader: Database.Database;
  let write: ReturnType<typeof createGroupCommit>;
  const rows = () => reader.prepare('select name from notes order by rowid').pluck().all();

  beforeEach(() => {
    db = tempDbPath();
    sqlite = new Database(db.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec('create table notes (name text primary key)');
    reader = new Database(db.path, { readonly: true });
    write = createGroupCommit(sqlite);
  });
  afterEach(() => {
    reader.close();
    sqlite.close();
    db.cleanup();
  });

  const insert = (name: string) => () => sqlite.prepare('insert into notes (name) values (?)').run(name);

  it('runs writes asked for together in the order asked, each seeing the ones before it', async () => {
    const counts = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        write(() => {
          insert(name)();
          return sqlite.prepare('select count(*) from notes').pluck().get();
        }),
      ),
    );
    expect(counts).toEqual([1, 2, 3]);
    expect(rows()).toEqual(['a', 'b', 'c']);
  });

  it('undoes only the write that threw, keeping the others in the same group', async () => {
    const outcomes = await Promise.allSettled([
      write(insert('a')),
      write(() => {
        insert('half-written')();
        throw new Error('refused');
      }),
      write(insert('a')), // a constraint error, undone alone
      write(insert('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused' });
    expect(rows()).toEqual(['a', 'c']);
  });

  it('answers a caller only once its write is committed and readable from another connection', async () => {
    const pending = write(insert('a'));
    expect(rows()).toEqual([]);
    await pending;
    expect(rows()).toEqual(['a']);
  });

  it('fails every write of a group, leaving nothing, when the transaction cannot start', async () => {
    sqlite.pragma('busy_timeout = 0');
    const other = new Database(db.path);
    other.exec('BEGIN IMMEDIATE');
    const outcomes = await Promise.allSettled([write(insert('a')), write(insert('b'))]);
    other.exec('ROLLBACK');
    other.close();
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(rows()).toEqual([]);
    await write(insert('later'));
    expect(rows()).toEqual(['later']);
  });

  it('splits a crowd of writes into groups of at most the given size, losing none', async () => {
    const small = createGroupCommit(sqlite, 4);
    // What another connection can read while each write runs: the groups committed before it.
    const committedBefore = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        small(() => {
          insert(`n${i}`)();
          return rows().length;
        }),
      ),
    );
    expect(committedBefore).toEqual([0, 0, 0, 0, 4, 4, 4, 4, 8, 8]);
    expect(rows()).toHaveLength(10);
  });
});
