import type { Command } from 'commander';
import { register as doctor } from './doctor.js';
import { register as hooks } from './hooks.js';
import { register as ingest } from './ingest.js';
import { register as report } from './report.js';
import { register as show } from './show.js';
import { register as sql } from './sql.js';
import { register as stats } from './stats.js';
import { register as taskStats } from './task-stats.js';

/**
 * Every command, in the order `paceflow --help` lists them. Each module declares its own options
 * beside its implementation and loads its heavy dependencies only when it runs; a new command is
 * one module and one entry here.
 */
export const COMMANDS: readonly ((program: Command) => void)[] = [ingest, report, stats, taskStats, show, hooks, doctor, sql];
