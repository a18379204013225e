import { dirname, resolve } from 'node:path';
import type { PaceflowConfig } from '../config/config.js';
import { crashPoint } from '../crash-point.js';
import type { Database } from '../db/driver.js';
import { formatCount } from '../format.js';
import { freedMemory } from '../db/freed-memory.js';
import { collectAfterPhase, releaseAfterEachCollection, withPacedHeap } from '../heap.js';
import { rowsRead } from '../db/statement.js';
import { diffsRead } from '../git/patches.js';
import { lineKeysWork } from '../builders/outcomes/file-line-keys.js';
import { gitProcessCounts } from '../git/run.js';
import { diffsKept, PatchStore } from '../git/patch-store.js';
import type { BranchWalks } from '../git/log.js';
import type { RepositorySettings } from '../git/settings.js';
import { NONTRIVIAL_LINES } from '../builders/lines.js';

/**
 * What every builder reads: the database, the repository, the settings, and what earlier builders
 * in the list handed on. One context per pipeline run; builders run in list order.
 */
export interface BuildContext {
  readonly db: Database;
  readonly repoId: string;
  /** The repository's top level: git runs here. */
  readonly root: string;
  readonly config: PaceflowConfig;
  /** Only lines in these paths count (a pathspec-scoped report's throw-away copy). */
  readonly pathScope?: ReadonlySet<string>;
  /** Write refs/notes/paceflow for transcript-attributed commits. */
  readonly writeNotes: boolean;
  /** The writer a note names (`paceflow 0.1.0`); absent where no note is composed. */
  readonly tool?: string;
  /** Notes the notes step read before the builders ran (reported beside attribution). */
  readonly notesRead: number;
  /**
   * Nobody reads the builders' messages (the hooks' worker): they leave out the totals only a
   * message shows (sums over every outcome row and task link, ~15 ms on an 80k history).
   */
  readonly quiet?: boolean;
  /**
   * The diffs read in this run (updateRepository's, which the history's pass filled with every new
   * commit's; runBuilders makes one when none is given): attribution keeps every diff it reads
   * from git; attribution, churn and the outcome rules take theirs from it before asking git.
   */
  readonly patches?: PatchStore;
  /** The run's branch walks (updateRepository's: ingest's orphan check made one the outcome rules read again). */
  readonly walks?: BranchWalks;
  /** The repository's settings as git's ingest read them this run (absent: the notes write asks git). */
  readonly settings?: RepositorySettings;
}

export interface BuilderSummary {
  builder: string;
  /** One line for a person: what the builder did. */
  message: string;
  /** What it cost, counted: rows its statements read, commit diffs it parsed, git processes it started. */
  work: BuilderWork;
}

export interface BuilderWork {
  rowsRead: number;
  /** Commit diffs parsed from git. */
  diffsRead: number;
  /** Commit diffs taken from the run's store (read from git by the history's pass or an earlier builder). */
  diffsKept: number;
  /** File versions read whole from git and hashed (the content rule's candidates' files). */
  filesRead: number;
  gitProcesses: number;
}

/** One event family's builder: reads metadata_* and fact_* (and earlier events), writes its event_* rows. */
export interface Builder {
  readonly name: string;
  run(ctx: BuildContext): Promise<BuilderRun>;
}

/** What a builder's run gives back: its message, and any work it left running. */
export interface BuilderRun extends Omit<BuilderSummary, 'work'> {
  beside?: WorkBeside;
}

/**
 * Work a builder leaves running while the builders after it run — attribution's notes write: git's
 * processes, ~0.15 s after each AI-written commit, mostly spent waiting on git. It reads and writes
 * no row while it runs (the builders after it share the connection); `done` gives what is left to
 * do, run synchronously after the last builder: the rows it records and the builder's message. A
 * run that fails or is killed before then leaves the work owed to the next run.
 */
export interface WorkBeside {
  done: Promise<() => string>;
  /** Its git processes so far: the process count cannot tell them from the running builder's. */
  readonly spawned: { count: number };
}

// Each builder loads its module when it runs: a run outside a repository (transcripts only) never
// compiles them, and `paceflow --version` never loads this list's dependencies.

const attribution: Builder = {
  name: 'attribution',
  async run(ctx) {
    const [{ buildAttribution }, { owedNotes, startNotesWrite }] = await Promise.all([
      import('../builders/attribution.js'),
      import('../ingest/notes.js'),
    ]);
    const { db, repoId, root, config } = ctx;
    const result = await buildAttribution({
      db,
      repoId,
      cwd: root,
      config,
      ...(ctx.tool ? { tool: ctx.tool } : {}),
      ...(ctx.pathScope ? { pathScope: ctx.pathScope } : {}),
      ...(ctx.patches ? { patches: ctx.patches } : {}),
    });
    const message = (written: number) =>
      `${repoId}: attribution over ${formatCount(result.commits)} commits ` +
      `(${formatCount(result.patchesRead)} diffs read), ${result.attributed} with lines from sessions; ` +
      `notes: ${ctx.notesRead} read, ${written} written`;
    // The notes owed: this run's, and any a killed run found but did not write. Written beside
    // the builders after this one (WorkBeside).
    const owed = ctx.writeNotes ? owedNotes(db, repoId) : [];
    if (owed.length === 0) return { builder: this.name, message: message(0) };
    const spawned = { count: 0 };
    const write = startNotesWrite(db, repoId, root, owed, { onSpawn: () => spawned.count++ }, ctx.settings);
    return { builder: this.name, message: '', beside: { spawned, done: write.then((record) => () => message(record())) } };
  },
};

const outcomes: Builder = {
  name: 'outcomes',
  async run(ctx) {
    const { buildOutcomes, outcomeCounts } = await import('../builders/outcomes.js');
    const result = await buildOutcomes({
      db: ctx.db,
      repoId: ctx.repoId,
      cwd: ctx.root,
      config: ctx.config,
      ...(ctx.patches ? { patches: ctx.patches } : {}),
      ...(ctx.walks ? { walks: ctx.walks } : {}),
    });
    if (!result.mainlineTip)
      return { builder: this.name, message: `${ctx.repoId}: outcomes: no mainline branch found; merged and reverted stay unknown` };
    if (ctx.quiet) return { builder: this.name, message: `${ctx.repoId}: outcomes: ${result.checked} checked` };
    const { merged, reverted } = outcomeCounts(ctx.db, ctx.repoId);
    return {
      builder: this.name,
      message: `${ctx.repoId}: outcomes: ${merged} commits on mainline, ${reverted} reverted later (${result.checked} checked)`,
    };
  },
};

const churn: Builder = {
  name: 'churn',
  async run(ctx) {
    const { buildChurn } = await import('../builders/churn.js');
    const { db, repoId, root, config } = ctx;
    const result = await buildChurn({
      db,
      repoId,
      cwd: root,
      config,
      ...(ctx.pathScope ? { pathScope: ctx.pathScope } : {}),
      ...(ctx.patches ? { patches: ctx.patches } : {}),
    });
    return {
      builder: this.name,
      message:
        result.commits === 0
          ? `${repoId}: churn: up to date`
          : `${repoId}: churn: ${result.commits} mainline commits updated; within ${config.churnWindowDays} days ` +
            `${result.aiChurned} of their AI lines and ${result.churned - result.aiChurned} other lines churned`,
    };
  },
};

const tasks: Builder = {
  name: 'tasks',
  async run(ctx) {
    const { buildTasks, taskLinkCounts } = await import('../builders/tasks.js');
    await buildTasks({ db: ctx.db, repoId: ctx.repoId, cwd: ctx.root, config: ctx.config });
    if (ctx.quiet) return { builder: this.name, message: `${ctx.repoId}: tasks: linked` };
    const { taskCommits, taskSessions } = taskLinkCounts(ctx.db, ctx.repoId);
    return { builder: this.name, message: `${ctx.repoId}: tasks: ${taskCommits} commit links, ${taskSessions} session links` };
  },
};

/**
 * The builders, in the order they run. Order is data flow: attribution makes the outcome rows and
 * the AI lines; outcomes fills mainline and reverts on them; churn follows AI lines on mainline;
 * tasks links commits and sessions to task keys. A new builder is one entry here.
 */
export const BUILDERS: readonly Builder[] = [attribution, outcomes, churn, tasks];

/** The process's memory malloc keeps after it is freed (src/db/freed-memory.ts). */
const freed = freedMemory();

/**
 * After each of the heap pacer's collections, what it freed outside V8's heap (array buffers,
 * SQLite's pages) goes back to the system: on git's own history with its pull requests ~60 MB
 * stayed resident after the outcome build otherwise (bench/README, session 76).
 */
export function releaseFreedMemoryAfterCollections(): void {
  releaseAfterEachCollection(() => freed.release());
}

/** Runs every builder in order on one context; returns what each did. The pacer bounds their heap (src/heap.ts). */
export function runBuilders(ctx: BuildContext, builders: readonly Builder[] = BUILDERS): Promise<BuilderSummary[]> {
  releaseFreedMemoryAfterCollections();
  return withPacedHeap(() => runEachBuilder(ctx, builders));
}

async function runEachBuilder(ctx: BuildContext, builders: readonly Builder[]): Promise<BuilderSummary[]> {
  const summaries: BuilderSummary[] = [];
  const patches = ctx.patches ?? patchStoreFor(ctx.db);
  const beside: { summary: BuilderSummary; work: WorkBeside }[] = [];
  const spawnedBeside = () => beside.reduce((n, b) => n + b.work.spawned.count, 0);
  try {
    for (const builder of builders) {
      const before = workSoFar();
      const besideBefore = spawnedBeside();
      const { beside: left, ...run } = await builder.run({ ...ctx, patches });
      // What the builder held (attribution: every written line) is garbage now, before the next one reads.
      collectAfterPhase();
      const work = difference(workSoFar(), before);
      const summary: BuilderSummary = { ...run, work };
      if (left) {
        left.done.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
        beside.push({ summary, work: left });
      }
      // The processes of work left running (this builder's own included) are counted to the
      // builder that left it, once it is done.
      work.gitProcesses -= spawnedBeside() - besideBefore;
      summaries.push(summary);
      crashPoint(`builder:${builder.name}`);
    }
    // Nothing but the work left running runs now; what it records is synchronous, counted exactly.
    for (const { summary, work } of beside) {
      const finish = await work.done;
      const before = workSoFar();
      summary.message = finish();
      const recorded = difference(workSoFar(), before);
      summary.work = {
        rowsRead: summary.work.rowsRead + recorded.rowsRead,
        diffsRead: summary.work.diffsRead + recorded.diffsRead,
        diffsKept: summary.work.diffsKept + recorded.diffsKept,
        filesRead: summary.work.filesRead + recorded.filesRead,
        gitProcesses: summary.work.gitProcesses + work.spawned.count,
      };
    }
  } finally {
    // A failure leaves the work owed; git is let finish before the connection and the store close.
    await Promise.allSettled(beside.map((b) => b.work.done));
    if (!ctx.patches) patches.close();
  }
  return summaries;
}

/**
 * A run's diff store for this database: its file sits beside it (an in-memory one: the system's
 * temporary folder). It counts each file's non-trivial added lines as it keeps them: attribution
 * reads no line of a commit none of whose paths a session wrote.
 */
export function patchStoreFor(db: Database): PatchStore {
  return new PatchStore(isFileDatabase(db.path) ? dirname(resolve(db.path)) : null, NONTRIVIAL_LINES);
}

/** A database in a file (not SQLite's `:memory:` or a temporary one with no name). */
function isFileDatabase(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:');
}

function difference(after: BuilderWork, before: BuilderWork): BuilderWork {
  return {
    rowsRead: after.rowsRead - before.rowsRead,
    diffsRead: after.diffsRead - before.diffsRead,
    diffsKept: after.diffsKept - before.diffsKept,
    filesRead: after.filesRead - before.filesRead,
    gitProcesses: after.gitProcesses - before.gitProcesses,
  };
}

/** The process's work counters (they only grow). */
function workSoFar(): BuilderWork {
  let gitProcesses = 0;
  for (const n of gitProcessCounts.values()) gitProcesses += n;
  return {
    rowsRead: rowsRead.count,
    diffsRead: diffsRead.count,
    diffsKept: diffsKept.count,
    filesRead: lineKeysWork.versionsHashed,
    gitProcesses,
  };
}
