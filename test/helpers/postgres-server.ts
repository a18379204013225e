// The throw-away PostgreSQL cluster lives in bench/ so the sync bench starts the same one.
export { freePort, type PostgresServer, postgresBindir, startPostgres, TEST_PASSWORD } from '../../bench/postgres-server.mjs';
