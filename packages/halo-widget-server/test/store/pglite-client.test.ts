// The SQL client over PGlite sends parameters as literals of prepared statements: whatever a
// client sends (quotes, backslashes, SQL) comes back as it was and runs nothing, whichever
// string syntax the instance is set to — also inside an array parameter, which carries a batch.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteClient, type SqlClient } from '../../src/store/sql-client.js';

const NASTY = ["it's", "'); drop table notes; --", "back\\slash \\' and \\\\ and \\x41", 'E\'\\047\' $$dollar$$ "double"', 'ünïcødé ✓ 🎉'];
// Array elements: what PostgreSQL's array syntax gives a meaning to (quotes, backslashes, braces,
// commas, spaces, the word NULL), the strings above, and a real NULL.
const ELEMENTS = ['"', '\\', '\\"', '{}', '{', '}', ',', 'a,b', ' padded ', '', 'NULL', 'null', ...NASTY, null];

describe('createPgliteClient', () => {
  let db: PGlite;
  let client: SqlClient;

  beforeAll(async () => {
    db = await PGlite.create();
    client = createPgliteClient(db);
    await client.exec('create table notes (id int primary key, body text not null)');
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });

  for (const setting of ['on', 'off']) {
    it(`stores and reads back quotes, backslashes and SQL as text with standard_conforming_strings ${setting}`, async () => {
      await db.exec(`set standard_conforming_strings = ${setting}`);
      await client.exec('delete from notes');
      for (const [i, body] of NASTY.entries()) await client.query('insert into notes (id, body) values ($1, $2)', [i, body]);
      const { rows } = await client.query<{ body: string }>('select body from notes where id >= $1 order by id', [0]);
      expect(rows.map((row) => row.body)).toEqual(NASTY);
      const found = await client.query<{ id: number }>('select id from notes where body = $1', [NASTY[1]]);
      expect(found.rows).toEqual([{ id: 1 }]);
    });

    it(`sends array parameters whose elements hold quotes, backslashes, braces, commas, NULL and SQL with standard_conforming_strings ${setting}`, async () => {
      await db.exec(`set standard_conforming_strings = ${setting}`);
      const { rows } = await client.query<{ element: string | null }>(
        'select element from unnest($1::text[]) with ordinality as t(element, i) order by i',
        [ELEMENTS],
      );
      expect(rows.map((row) => row.element)).toEqual(ELEMENTS);
      const flags = await client.query<{ flag: boolean | null }>('select unnest($1::boolean[]) as flag', [[true, null, false]]);
      expect(flags.rows.map((row) => row.flag)).toEqual([true, null, false]);
      const empty = await client.query('select unnest($1::text[]) as element', [[]]);
      expect(empty.rows).toEqual([]);
    });
  }
});
