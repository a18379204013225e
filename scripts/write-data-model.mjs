// Writes docs/data-model.md from the schema (run after `npm run build`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { BetterSqliteDatabase } from '../dist/db/better-sqlite3.js';
import { renderDataModel } from '../dist/db/data-model.js';
import { migrate } from '../dist/db/migrate.js';

const db = new BetterSqliteDatabase(':memory:');
migrate(db);
mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/data-model.md', import.meta.url), renderDataModel(db));
db.close();
