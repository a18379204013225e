import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './git-repo.js';
import { type PostgresServer, startPostgres } from './postgres-server.js';

export interface TestCertificates {
  /** The CA's certificate (PEM file): what a client must trust. */
  caFile: string;
  /** The server's certificate (PEM), signed by the CA, for 127.0.0.1 and localhost. */
  cert: string;
  /** The server's private key (PEM). */
  key: string;
}

/**
 * A throw-away certificate authority and a server certificate it signed, made with the real
 * openssl: no public root trusts them, so only a client given the CA connects.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = tempDir('paceflow-tls-');
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=paceflow test CA');
  openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(file('server.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  );
  return { caFile: file('ca.pem'), cert: readFileSync(file('server.pem'), 'utf8'), key: readFileSync(file('server.key'), 'utf8') };
}

/**
 * A throw-away PostgreSQL cluster that takes TCP connections over TLS only, its certificate signed
 * by a fresh test CA; `caFile` is what a client must trust, `url` has `sslmode=verify-full`.
 */
export async function startTlsPostgres(): Promise<{ server: PostgresServer; caFile: string; url: string }> {
  const certificates = makeTestCertificates();
  const server = await startPostgres({ tls: { cert: certificates.cert, key: certificates.key } });
  const url = new URL(server.url);
  url.searchParams.set('sslmode', 'verify-full');
  return { server, caFile: certificates.caFile, url: url.toString() };
}
