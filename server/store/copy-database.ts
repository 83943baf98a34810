/**
 * Copies a whole database from one store to another (SQLite → PostgreSQL to move up,
 * or back), table by table, parents first, and then proves the copy: the same number
 * of rows in every table, and the same checksum over their contents read back from
 * the target. Refuses a target that holds anything.
 */
import { createHash } from 'node:crypto';
import { TABLES, type Store, type TableName, type TableRow } from './store.js';

export interface CopiedTable {
  table: TableName;
  rows: number;
  /** An order-independent checksum of the table's contents (the same on both databases when the copy is whole). */
  checksum: string;
}

const BATCH = 2000;
/** Rows of file bytes are up to 256 KB each: a page of them stays a few MB. */
const BATCH_OF: Partial<Record<TableName, number>> = { attachment_chunks: 16 };

/** A row as one canonical string: keys sorted at every depth, so both databases' reads of one row agree. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  // File bytes: a Buffer from either driver hashes as its bytes.
  if (Buffer.isBuffer(value)) return `"${value.toString('base64')}"`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Adds the rows' SHA-256 hashes into `sum` (eight 32-bit lanes, each summed modulo
 * 2^32): the same whatever order the rows are read in, and cheap.
 */
function checksumAdd(sum: Uint32Array, rows: TableRow[]) {
  for (const row of rows) {
    const digest = createHash('sha256').update(canonical(row)).digest();
    for (let lane = 0; lane < 8; lane++) sum[lane] = (sum[lane]! + digest.readUInt32BE(lane * 4)) >>> 0;
  }
}

const hex = (sum: Uint32Array) => Array.from(sum, (lane) => lane.toString(16).padStart(8, '0')).join('');

async function eachPage(store: Store, table: TableName, visit: (rows: TableRow[]) => Promise<void>) {
  let cursor: unknown = null;
  do {
    const page = await store.tables.read(table, cursor, BATCH_OF[table] ?? BATCH);
    await visit(page.rows);
    cursor = page.next;
  } while (cursor !== null);
}

export async function copyDatabase(from: Store, to: Store, onTable: (copied: CopiedTable) => void = () => {}): Promise<CopiedTable[]> {
  await from.ready();
  await to.ready();
  const held = [];
  for (const table of TABLES) {
    const n = await to.tables.count(table);
    if (n > 0) held.push(`${n} in ${table}`);
  }
  if (held.length) throw new Error(`${to.location} is not empty (${held.slice(0, 3).join(', ')}${held.length > 3 ? ', …' : ''}): copy only into an empty database`);

  const copied: CopiedTable[] = [];
  for (const table of TABLES) {
    let rows = 0;
    const sum = new Uint32Array(8);
    await eachPage(from, table, async (page) => {
      checksumAdd(sum, page);
      rows += page.length;
      await to.tables.write(table, page).catch((error: unknown) => {
        // The database's own reason, not the driver's echo of a batch's whole SQL.
        const reason = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
        throw new Error(`copying ${table} into ${to.location} failed: ${reason}`);
      });
    });
    copied.push({ table, rows, checksum: hex(sum) });
  }
  await to.tables.finishCopy();

  // Read back from the target: what is there now, not what was sent.
  for (const expected of copied) {
    const count = await to.tables.count(expected.table);
    const sum = new Uint32Array(8);
    await eachPage(to, expected.table, async (page) => {
      checksumAdd(sum, page);
    });
    const checksum = hex(sum);
    if (count !== expected.rows || checksum !== expected.checksum) {
      throw new Error(`the copy of ${expected.table} differs (${expected.rows} rows sent, ${count} there${checksum === expected.checksum ? '' : ', checksums differ'}): do not use ${to.location}`);
    }
    onTable(expected);
  }
  return copied;
}
