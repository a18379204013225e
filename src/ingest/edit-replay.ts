import type { Database } from '../db/driver.js';
import { triggersPutOff } from '../db/triggers-after.js';

/** sql/011's triggers that ask attribution to replay from an edit's time as its row is written. */
const WRITE_TRIGGERS = ['paceflow_attribution_edit_insert', 'paceflow_attribution_edit_update'] as const;

/**
 * The edits' replay triggers, put off while a first ingest of edits writes them. Each edit is
 * written by an upsert, and with a trigger on its INSERT or UPDATE SQLite journals what every
 * upsert changes — a large row, the edit's texts: the 80k bench history's 27,141 edits took
 * 1.94–2.01 s to write with both triggers, 1.78–1.82 s with the UPDATE one alone and 0.89–1.11 s
 * with neither (session 53, a /tmp copy of its first run's
 * database). While they are off, the session writer asks for the replay itself, with the INSERT
 * trigger's statement, for each edit it writes.
 *
 * Only when no edit was stored before the run: an upsert or a settling UPDATE can then meet only
 * a row the run wrote itself, whose time was asked for when it was written — what the UPDATE
 * trigger would add is there already. The DELETE trigger stays. The triggers are dropped inside
 * a batch's transaction and made again from their stored SQL before it commits: SQLite's DDL is
 * transactional, so a kill or a rollback leaves them as they were.
 */
export class EditReplay {
  /** True while the triggers are off: the writer asks for each edit's replay itself. */
  off = false;

  constructor(
    private readonly db: Database,
    /** Whether this run may put them off (no edit stored before it). */
    readonly firstEdits: boolean,
  ) {}

  /** Drops the triggers (in the caller's open transaction); returns what makes them again. */
  putOff(): () => void {
    if (!this.firstEdits) return () => {};
    // A schema this code does not know (a later version's): its triggers stay.
    const triggers = triggersPutOff(this.db, WRITE_TRIGGERS);
    if (!triggers) return () => {};
    this.off = true;
    return () => {
      triggers();
      this.off = false;
    };
  }

  /** The transaction rolled back: its DDL with it, the triggers are there again. */
  rolledBack(): void {
    this.off = false;
  }
}
