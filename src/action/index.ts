import * as core from '@actions/core';
import { NodeSqliteDatabase } from '../db/node-sqlite.js';
import { useDatabaseFactory } from '../db/open.js';
import { runAction } from './main.js';

// The bundle runs on the runner's Node 24 with no install step: node:sqlite, not the native addon.
useDatabaseFactory((path, options) => new NodeSqliteDatabase(path, options));
runAction().catch((error: unknown) => {
  if (error instanceof Error && error.stack) core.debug(error.stack);
  core.setFailed(error instanceof Error ? error.message : String(error));
});
