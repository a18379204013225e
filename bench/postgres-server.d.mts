export interface PostgresServer {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  password: string;
  bindir: string;
  stop(): void;
}
export const TEST_PASSWORD: string;
/** The directory of the server binaries, or null when PostgreSQL is not installed. */
export function postgresBindir(): string | null;
export function freePort(): Promise<number>;
/** tls: the server's certificate and key (PEM); the server then takes TCP connections over TLS only. */
export function startPostgres(options?: { tls?: { cert: string; key: string } }): Promise<PostgresServer>;
