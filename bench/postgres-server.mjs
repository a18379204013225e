import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Shared by the tests (test/helpers/postgres-server.ts) and the benches (bench/sync.mjs).
/**
 * A throw-away PostgreSQL cluster for the tests: Debian's server binaries, `initdb` into a temp
 * dir, one server on a free loopback port with password (SCRAM) authentication, stopped and
 * deleted at the end. `initdb` refuses root, so as root the cluster belongs to the `postgres` user
 * and every server command runs through `runuser`. Never a mock.
 */

export const TEST_PASSWORD = 'paceflow-test-secret';

/** @returns {Promise<{ url: string, port: number, password: string, bindir: string, stop(): void }>} */

/** The directory of the server binaries, or null when PostgreSQL is not installed. */
export function postgresBindir() {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = [fromConfig.status === 0 ? fromConfig.stdout.trim() : ''];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return candidates.find((dir) => dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) ?? null;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function postgresUser() {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * @param {{ tls?: { cert: string, key: string } }} [options] tls: the server's certificate and key
 *   (PEM): the server then takes TCP connections over TLS only.
 */
export async function startPostgres(options = {}) {
  const bindir = postgresBindir();
  if (!bindir) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql)');
  const owner = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'paceflow-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${TEST_PASSWORD}\n`);
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  chmodSync(dir, 0o700);
  const run = (program, args) => {
    const [command, argv] = owner ? ['runuser', ['-u', 'postgres', '--', join(bindir, program), ...args]] : [join(bindir, program), args];
    const result = spawnSync(command, argv, { encoding: 'utf8', cwd: dir });
    if (result.status !== 0) throw new Error(`${program} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--locale=C', '--encoding=UTF8']);
  const port = await freePort();
  // Settings go in the file, not on pg_ctl's -o (which passes them through a shell).
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 60',
      '',
    ].join('\n'),
  );
  if (options.tls) {
    // The key must belong to the server's user and be readable by it alone.
    for (const [name, pem] of [
      ['server.crt', options.tls.cert],
      ['server.key', options.tls.key],
    ]) {
      writeFileSync(join(data, name), pem, { mode: 0o600 });
      if (owner) chownSync(join(data, name), owner.uid, owner.gid);
    }
    appendFileSync(
      join(data, 'postgresql.conf'),
      ['ssl = on', `ssl_cert_file = 'server.crt'`, `ssl_key_file = 'server.key'`, ''].join('\n'),
    );
    // TLS or nothing over TCP: a client that connected did so encrypted (the first line that matches wins).
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, `hostnossl all all all reject\n${readFileSync(hba, 'utf8')}`);
  }
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  return {
    url: `postgres://postgres:${TEST_PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    password: TEST_PASSWORD,
    bindir,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
