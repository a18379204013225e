import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server, Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { fillContract } from '../bench/contract-rows.mjs';
import { sync } from '../src/cli/commands/sync.js';
import type { Database } from '../src/db/driver.js';
import { loadViews } from '../src/db/migrate.js';
import { CONTRACT } from '../src/sync/contract.js';
import { clientSettings, libpqTls } from '../src/sync/postgres.js';
import { syncToWarehouse } from '../src/sync/sync.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { freePort } from './helpers/postgres-server.js';
import { startTlsPostgres } from './helpers/tls-postgres.js';
import { freshWarehouse, itPostgres, POSTGRES_URL, teamSnapshot, warehouseQuery } from './helpers/warehouse.js';

afterAll(cleanupTempDirs);

const NOW = new Date('2026-11-28T12:00:00Z');
const CLI = join(import.meta.dirname, '..', 'bin', 'paceflow.js');
const TEAM_TABLES = [...CONTRACT.map((t) => t.name), ...loadViews().map((v) => v.name)];
const push = (db: Database, url: string, batchRows?: number) =>
  syncToWarehouse(db, { url, version: '0.0.0-test', identitySalt: null, now: NOW, ...(batchRows ? { batchRows } : {}) });
const sentRows = (r: Awaited<ReturnType<typeof push>>) => Object.values(r.tables).reduce((n, t) => n + t.rows, 0);

function filledDatabase(seed = 7): { db: Database; path: string } {
  const db = tempDatabase();
  fillContract(db, { seed, repos: 2, commitsPerRepo: 60, sessionsPerRepo: 8, messagesPerSession: 40 });
  return { db, path: db.path };
}

describe('paceflow sync: incremental and idempotent', () => {
  itPostgres('a second sync sends nothing and changes nothing; a change sends only its groups', async () => {
    const url = await freshWarehouse();
    const { db } = filledDatabase();
    try {
      const first = await push(db, url);
      expect(first.full).toBe(true);
      const total = (db.prepare(`SELECT count(*) AS n FROM event_session_messages`).get() as { n: number }).n;
      expect(first.tables.event_session_messages!.rows).toBe(total);
      const before = await teamSnapshot(url, TEAM_TABLES);

      const again = await push(db, url);
      expect(again.full).toBe(false);
      expect(sentRows(again)).toBe(0);
      expect(await teamSnapshot(url, TEAM_TABLES)).toEqual(before);

      // One session gains a message; one commit's outcome changes; one commit's attributions go.
      const session = db
        .prepare(`SELECT session_id FROM metadata_sessions ORDER BY session_id LIMIT 1`)
        .get<{ session_id: string }>()!.session_id;
      const commit = db
        .prepare(`SELECT repo_id, sha FROM event_commit_attributions ORDER BY repo_id, sha LIMIT 1`)
        .get<{ repo_id: string; sha: string }>()!;
      const messages = db.prepare(`SELECT count(*) AS n FROM event_session_messages WHERE session_id = ?`).get<{ n: number }>([session])!.n;
      db.transaction(() => {
        db.prepare(
          `INSERT INTO event_session_messages (session_id, record_id, provider, repo_id, kind, timestamp, is_user_prompt, is_error_paste, is_tool_error)
           SELECT session_id, 'new-record', provider, repo_id, 'prompt', '2025-06-02T00:00:00.000Z', 1, 0, 0 FROM event_session_messages WHERE session_id = ? LIMIT 1`,
        ).run([session]);
        db.prepare(`UPDATE event_commit_outcomes SET reverted_later = 1 - coalesce(reverted_later, 0) WHERE repo_id = ? AND sha = ?`).run([
          commit.repo_id,
          commit.sha,
        ]);
        db.prepare(`DELETE FROM event_commit_attributions WHERE repo_id = ? AND sha = ?`).run([commit.repo_id, commit.sha]);
      });
      const third = await push(db, url);
      expect(third.full).toBe(false);
      expect(third.tables.event_session_messages).toEqual({ groups: 1, rows: messages + 1, removed: 0 });
      expect(third.tables.event_commit_outcomes).toEqual({ groups: 1, rows: 1, removed: 0 });
      expect(third.tables.event_commit_attributions).toEqual({ groups: 0, rows: 0, removed: 1 });
      expect(sentRows(third)).toBe(messages + 2);
      const left = await warehouseQuery<{ n: number }>(url, `SELECT count(*)::int AS n FROM event_commit_attributions WHERE sha = $1`, [
        commit.sha,
      ]);
      expect(left[0]!.n).toBe(0);
    } finally {
      db.close();
    }
  });

  itPostgres('a rebuild that writes the same rows again sends nothing', async () => {
    const url = await freshWarehouse();
    const { db } = filledDatabase(8);
    try {
      await push(db, url);
      // Every event row deleted and written again, as a builder's rebuild does.
      db.transaction(() => {
        for (const table of CONTRACT.filter((t) => t.name.startsWith('event_'))) {
          db.exec(`CREATE TEMP TABLE copy_of AS SELECT * FROM ${table.name}`);
          db.exec(`DELETE FROM ${table.name}`);
          db.exec(`INSERT INTO ${table.name} SELECT * FROM temp.copy_of`);
          db.exec(`DROP TABLE temp.copy_of`);
        }
      });
      const changed = db.prepare(`SELECT count(*) AS n FROM paceflow_sync_changes`).get<{ n: number }>()!.n;
      expect(changed).toBeGreaterThan(100);
      const after = await push(db, url);
      expect(after.full).toBe(false);
      expect(sentRows(after)).toBe(0);
    } finally {
      db.close();
    }
  });

  itPostgres('a database that lost its triggers (a migration rebuilt a table) compares every group again', async () => {
    const url = await freshWarehouse();
    const { db } = filledDatabase(9);
    try {
      await push(db, url);
      db.exec(`DROP TRIGGER paceflow_sync_event_commit_churn_update`);
      db.transaction(() =>
        db.exec(
          `UPDATE event_commit_churn SET ai_lines_churned = ai_lines_churned + 1 WHERE sha IN (SELECT sha FROM event_commit_churn ORDER BY sha LIMIT 3)`,
        ),
      );
      const after = await push(db, url);
      expect(after.full).toBe(true);
      expect(after.tables.event_commit_churn!.rows).toBe(3);
      expect(sentRows(after)).toBe(3);
    } finally {
      db.close();
    }
  });
});

describe('paceflow sync: nothing that should stay on the machine leaves it', () => {
  itPostgres('no home path, session title, cwd or full message reaches the warehouse; identities hash with the team salt', async () => {
    const url = await freshWarehouse();
    const { db } = filledDatabase(10);
    try {
      await syncToWarehouse(db, { url, version: '0.0.0-test', identitySalt: 'team-salt-123', now: NOW });
      const text: string[] = [];
      for (const table of CONTRACT) {
        for (const row of await warehouseQuery(url, `SELECT * FROM sync_${table.name}`))
          for (const v of Object.values(row)) if (typeof v === 'string') text.push(v);
      }
      expect(text.length).toBeGreaterThan(1000);
      expect(text.filter((v) => v.includes('/home/'))).toEqual([]);
      expect(text.filter((v) => v.includes('a title from the prompt') || v === 'local only')).toEqual([]);
      expect(text.filter((v) => /@example\.com/.test(v))).toEqual([]);
      const [repo] = await warehouseQuery<{ root_path: string; remote_url: string }>(
        url,
        `SELECT root_path, remote_url FROM metadata_repositories ORDER BY repo_id LIMIT 1`,
      );
      expect(repo).toEqual({ root_path: 'repo-0', remote_url: 'github.com/team/repo-0' });
      const emails = await warehouseQuery<{ author_email: string }>(url, `SELECT DISTINCT author_email FROM metadata_commits`);
      for (const { author_email } of emails) expect(author_email).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    } finally {
      db.close();
    }
  });
});

/** A TCP proxy in front of the test cluster that cuts both ends after `limit` bytes from the client. */
async function cuttingProxy(limit: number): Promise<{ url: string; server: Server; sent: () => number }> {
  const target = new URL(POSTGRES_URL!);
  const port = await freePort();
  let bytes = 0;
  const server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port), '127.0.0.1');
    client.on('data', (chunk) => {
      bytes += chunk.length;
      if (bytes > limit) {
        client.destroy();
        upstream.destroy();
      } else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `postgres://postgres:${target.password}@127.0.0.1:${port}`, server, sent: () => bytes };
}

describe('paceflow sync: bad input is one line, a non-zero exit, and nothing half-written', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env, PACEFLOW_WAREHOUSE_URL: '' } });
  // The proxy lives in this process, so the CLI it serves must not block the event loop.
  const cliAsync = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, PACEFLOW_WAREHOUSE_URL: '' } });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (status) => resolve({ status, stderr }));
    });

  itPostgres('wrong password, a server that is down, a database that does not exist', async () => {
    const { path } = filledDatabase(11);
    const wrong = new URL(POSTGRES_URL!);
    wrong.password = 'not-the-password';
    const down = `postgres://postgres:secret@127.0.0.1:${await freePort()}/postgres`;
    const missing = new URL(POSTGRES_URL!);
    missing.pathname = '/no_such_database';
    // TLS options travel in the URL to the driver: this test server speaks no TLS, and says so.
    const tls = new URL(POSTGRES_URL!);
    tls.searchParams.set('sslmode', 'require');
    for (const [url, says] of [
      [tls.toString(), /cannot connect: The server does not support SSL connections/],
      [wrong.toString(), /password authentication failed for user "postgres" \(check the password/],
      [down, /cannot connect: connection refused/],
      [missing.toString(), /database "no_such_database" does not exist/],
    ] as const) {
      const r = cli(['--db', path, 'sync', '--no-ingest', '--to', url], { HOME: tempDir() });
      expect(r.status, r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^paceflow: warehouse postgres@127\.0\.0\.1:\d+\/\w+: /);
      expect(lines[0]).toMatch(says);
      expect(r.stderr).not.toContain('not-the-password');
      expect(r.stderr).not.toContain(new URL(POSTGRES_URL!).password);
    }
  });

  itPostgres('a warehouse from a newer paceflow schema, and a table changed by hand, are refused', async () => {
    const url = await freshWarehouse();
    const { db, path } = filledDatabase(12);
    await push(db, url);
    db.close();
    await warehouseQuery(url, `UPDATE paceflow_warehouse SET value = '99' WHERE key = 'schema_version'`);
    let r = cli(['--db', path, 'sync', '--no-ingest', '--to', url]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^paceflow: warehouse postgres@[^ ]+: its schema is version 99, made by a newer paceflow \(this one knows up to 2\); upgrade paceflow on this machine$/,
    );
    await warehouseQuery(url, `UPDATE paceflow_warehouse SET value = '2' WHERE key = 'schema_version'`);
    await warehouseQuery(url, `ALTER TABLE sync_event_commit_churn DROP COLUMN window_closed CASCADE`);
    r = cli(['--db', path, 'sync', '--no-ingest', '--to', url]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^paceflow: warehouse postgres@[^ ]+: table paceflow\.sync_event_commit_churn has no column window_closed \(changed by hand\?\); paceflow will not write to it$/,
    );
    await warehouseQuery(url, `ALTER TABLE sync_event_commit_churn ADD COLUMN window_closed bigint, ADD COLUMN note text`);
    r = cli(['--db', path, 'sync', '--no-ingest', '--to', url]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/has columns paceflow did not make \(note\)/);
  });

  itPostgres('a connection dropped mid-sync: whole batches only, and the next sync completes it', async () => {
    const { db: reference } = filledDatabase(13);
    const full = await freshWarehouse();
    // The size of a whole sync through the proxy, then a cut halfway through it.
    const measure = await cuttingProxy(Number.MAX_SAFE_INTEGER);
    const fullUrl = new URL(full);
    await push(reference, `${measure.url}${fullUrl.pathname}`, 500);
    measure.server.close();
    const expected = await teamSnapshot(full, TEAM_TABLES);
    reference.close();

    const { db, path } = filledDatabase(13);
    db.close();
    const url = await freshWarehouse();
    const cut = await cuttingProxy(Math.floor(measure.sent() / 2));
    const r = await cliAsync(['--db', path, 'sync', '--no-ingest', '--to', `${cut.url}${new URL(url).pathname}`], {
      PACEFLOW_SYNC_BATCH_ROWS: '500',
    });
    cut.server.close();
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^paceflow: warehouse postgres@127\.0\.0\.1:\d+\/\w+: sending event_\w+ \(nothing of this batch was written; run paceflow sync again\): the connection dropped/,
    );
    // Whatever landed is whole batches: each machine's group is all its rows or none.
    const landed = await warehouseQuery<{ n: number }>(url, `SELECT count(*)::int AS n FROM sync_event_session_messages`);
    expect(landed[0]!.n % 40).toBe(0);
    const again = cli(['--db', path, 'sync', '--no-ingest', '--to', url]);
    expect(again.status, again.stderr).toBe(0);
    expect(await teamSnapshot(url, TEAM_TABLES)).toEqual(expected);
  });

  itPostgres('killed between its steps (the real CLI, SIGKILL), the next sync finishes the work', async () => {
    const { db: reference } = filledDatabase(14);
    const full = await freshWarehouse();
    await push(reference, full, 300);
    const expected = await teamSnapshot(full, TEAM_TABLES);
    reference.close();
    for (const point of ['sync-after-batch-event_session_messages', 'sync-after-batch-event_commit_outcomes', 'sync-before-winners']) {
      const { db, path } = filledDatabase(14);
      db.close();
      const url = await freshWarehouse();
      const killed = cli(['--db', path, 'sync', '--no-ingest', '--to', url], { PACEFLOW_CRASH_AT: point, PACEFLOW_SYNC_BATCH_ROWS: '300' });
      expect(killed.signal, point).toBe('SIGKILL');
      const again = cli(['--db', path, 'sync', '--no-ingest', '--to', url]);
      expect(again.status, again.stderr).toBe(0);
      expect(await teamSnapshot(url, TEAM_TABLES), point).toEqual(expected);
    }
  });

  itPostgres('the command line: sync needs a warehouse, and says what it sent', async () => {
    const { path } = filledDatabase(15);
    const none = cli(['--db', path, 'sync', '--no-ingest']);
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe(
      'paceflow: no warehouse given: pass --to postgres://user@host/db, set PACEFLOW_WAREHOUSE_URL, or set "warehouse": {"url": …} in paceflow.config.json',
    );
    const url = await freshWarehouse();
    const result = await sync({ cwd: tempDir(), db: path, to: url, ingest: false, now: NOW });
    expect(result.output.split('\n')[0]).toMatch(
      /^paceflow sync → postgres@127\.0\.0\.1:\d+\/\w+ \(this machine: [0-9a-f]{8}; every group compared\)$/,
    );
    expect(result.output).toMatch(/\n {2}event_session_messages +\d[\d,]* rows\n/);
    expect(result.output).not.toContain(new URL(POSTGRES_URL!).password);
    const twice = await sync({ cwd: tempDir(), db: path, to: url, ingest: false, now: NOW });
    expect(twice.output.split('\n')[1]).toBe('Nothing changed since the last sync: the warehouse has it all.');
    // doctor says where this database syncs and what was written since.
    const doctor = cli(['--db', path, 'doctor']);
    expect(doctor.stdout).toMatch(
      /✓ warehouse postgres@127\.0\.0\.1:\d+\/\w+: last synced 2026-11-28T12:00:00\.000Z; 0 groups written since/,
    );
    expect(doctor.stdout).not.toContain(new URL(POSTGRES_URL!).password);
  });
});

describe('paceflow sync over TLS: the CA trusted as Node would trust it', () => {
  /**
   * The real CLI in a child process, so that Node reads NODE_EXTRA_CA_CERTS (or not) at its start
   * as it does for a user; the hooks' shim starts its worker with it emptied and its value handed
   * on as PACEFLOW_EXTRA_CA_CERTS.
   */
  const syncTo = (path: string, url: string, env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [CLI, '--db', path, 'sync', '--no-ingest', '--to', url], {
      encoding: 'utf8',
      env: { ...process.env, PACEFLOW_WAREHOUSE_URL: '', PGSSLMODE: '', HOME: tempDir(), ...env },
    });

  itPostgres('from NODE_EXTRA_CA_CERTS, from the file handed on, from sslrootcert, or refused', async () => {
    const { server, caFile, url } = await startTlsPostgres();
    try {
      const plain = new URL(url);
      plain.searchParams.delete('sslmode');
      const rootcert = new URL(url);
      rootcert.searchParams.set('sslrootcert', caFile);
      const disabled = new URL(url);
      disabled.searchParams.set('sslmode', 'disable');
      const untrusted =
        /^paceflow: warehouse postgres@127\.0\.0\.1:\d+\/postgres: cannot connect: (unable to verify the first certificate|unable to get local issuer certificate|self-signed certificate in certificate chain)$/;
      const cases: { name: string; url: string; env: NodeJS.ProcessEnv; fails?: RegExp }[] = [
        { name: 'Node reads the CA itself', url, env: { NODE_EXTRA_CA_CERTS: caFile, PACEFLOW_EXTRA_CA_CERTS: '' } },
        { name: 'the worker: emptied and handed on', url, env: { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: caFile } },
        {
          name: 'TLS from PGSSLMODE, the CA handed on',
          url: plain.toString(),
          env: { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: caFile, PGSSLMODE: 'verify-full' },
        },
        { name: 'the URL names its roots', url: rootcert.toString(), env: { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: '' } },
        { name: 'no CA at all', url, env: { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: '' }, fails: untrusted },
        {
          name: 'a handed-on file that is gone',
          url,
          env: { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: join(tempDir(), 'gone.pem') },
          fails: untrusted,
        },
        {
          // The server takes TLS only: the successes above were encrypted.
          name: 'no TLS asked for',
          url: disabled.toString(),
          env: { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: caFile },
          fails: /^paceflow: warehouse postgres@127\.0\.0\.1:\d+\/postgres: cannot connect: .*no encryption/,
        },
      ];
      const { path } = filledDatabase(16);
      for (const c of cases) {
        const r = syncTo(path, c.url, c.env);
        if (c.fails) {
          expect(r.status, `${c.name}: ${r.stderr}`).toBe(1);
          expect(r.stderr.trim(), c.name).toMatch(c.fails);
        } else {
          expect(r.status, `${c.name}: ${r.stderr}`).toBe(0);
          expect(r.stdout, c.name).toMatch(/^paceflow sync → postgres@127\.0\.0\.1:\d+\/postgres /);
        }
      }
    } finally {
      server.stop();
    }
  });
});

describe('the warehouse connection’s settings with a CA file handed on (clientSettings)', () => {
  const ca = join(tempDir(), 'team-ca.pem');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
  const base = 'postgres://me:pw@db.internal:6543/eng';
  const handedOn = { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: ca };
  const roots = (settings: ReturnType<typeof clientSettings>) => {
    const ssl = settings.ssl;
    return typeof ssl === 'object' && ssl !== null && Array.isArray(ssl.ca) ? ssl.ca.length : null;
  };
  it.each([
    // [case, URL, environment, connection string kept as it is?, ssl settings besides `ca`]
    ['no CA file', `${base}?sslmode=verify-full`, { NODE_EXTRA_CA_CERTS: '', PACEFLOW_EXTRA_CA_CERTS: '' }, true, null],
    ['Node read the CA itself', `${base}?sslmode=verify-full`, { NODE_EXTRA_CA_CERTS: ca, PACEFLOW_EXTRA_CA_CERTS: ca }, true, null],
    ['no TLS', base, handedOn, true, null],
    ['TLS turned off', `${base}?sslmode=disable`, handedOn, true, null],
    ['the URL names its own roots', `${base}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`, handedOn, true, null],
    ['verify-full', `${base}?sslmode=verify-full`, handedOn, false, {}],
    ['require: encrypted, not verified (libpq)', `${base}?sslmode=require`, handedOn, false, { rejectUnauthorized: false }],
    ['TLS from PGSSLMODE', base, { ...handedOn, PGSSLMODE: 'verify-full' }, false, {}],
    ['PGSSLMODE=disable', base, { ...handedOn, PGSSLMODE: 'disable' }, true, null],
    ['a handed-on file that is gone', `${base}?sslmode=verify-full`, { ...handedOn, PACEFLOW_EXTRA_CA_CERTS: `${ca}.gone` }, true, null],
  ] as const)('%s', (_name, url, env, kept, ssl) => {
    const settings = clientSettings(url, env);
    if (kept) {
      expect(settings).toEqual({ connectionString: url.includes('sslmode=') ? libpqTls(url) : url });
      return;
    }
    // Parsed as pg parses the URL: the same server, database and user; Node's roots and the file.
    expect(settings).toMatchObject({ host: 'db.internal', port: 6543, database: 'eng', user: 'me', password: 'pw' });
    expect(settings.connectionString).toBeUndefined();
    const { ca: list, ...rest } = settings.ssl as { ca: string[] };
    expect(rest).toEqual(ssl);
    expect(list.at(-1)).toBe(readFileSync(ca, 'utf8'));
    expect(roots(settings)).toBe(rootCertificates.length + 1);
  });
});
