import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ingest } from '../src/cli/commands/ingest.js';
import { loadViews } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { CONTRACT } from '../src/sync/contract.js';
import { machineId } from '../src/sync/local-changes.js';
import { syncToWarehouse } from '../src/sync/sync.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { at } from './helpers/sample-repository.js';
import { emptySessionHome, type SessionHome } from './helpers/sessions.js';
import { freshWarehouse, itPostgres, teamSnapshot, warehouseQuery } from './helpers/warehouse.js';

/**
 * DESIGN §9 / #21: many machines, no double counting. Two developers (each with their own
 * transcripts, each pushing paceflow notes) and a CI run (the repository and its notes only) sync
 * into one warehouse, in varied orders; the team's views must equal the views of one database that
 * saw everything (every ref, both developers' transcripts), synced alone.
 */
const VIEWS = loadViews().map((v) => v.name);
const EVENTS = CONTRACT.filter((t) => t.name.startsWith('event_')).map((t) => t.name);

interface Machine {
  name: string;
  repo: TempRepo;
  home: SessionHome;
  db: string;
  sessions: boolean;
}

let origin: string;
let machines: Record<'alice' | 'bob' | 'ci' | 'all', Machine>;
let aliceEarly: string;

function clone(name: string, home: SessionHome = emptySessionHome(), sessions = true): Machine {
  const dir = join(tempDir(`paceflow-${name}-`), 'project');
  const repo = new TempRepo(tempDir());
  repo.git('clone', '-q', origin, dir);
  const cloned = new TempRepo(dir);
  cloned.git('fetch', '-q', 'origin', 'refs/notes/paceflow:refs/notes/paceflow');
  return { name, repo: cloned, home, db: join(tempDir('paceflow-db-'), 'paceflow.db'), sessions };
}

function transcript(home: SessionHome, t: ClaudeTranscript): void {
  const dir = join(home.claudeProjects, '-project');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text());
}

const run = (m: Machine) => ingest({ cwd: m.repo.dir, db: m.db, env: m.home.env, sessions: m.sessions, notes: m.name !== 'all' });
const pushAll = (m: Machine, ...refs: string[]) => m.repo.git('push', '-q', 'origin', ...refs);

beforeAll(async () => {
  origin = join(tempDir('paceflow-origin-'), 'origin.git');
  new TempRepo(tempDir()).git('init', '-q', '--bare', '-b', 'main', origin);
  const seed = TempRepo.create();
  seed
    .write('README.md', '# project\n')
    .write('app.py', 'def main():\n    run_the_application()\n')
    .commit('initial', { at: at('2026-01-20T09:00:00Z') });
  seed.git('push', '-q', origin, 'main');
  // Notes start on origin so every clone can fetch the ref.
  seed.git('notes', '--ref', 'paceflow', 'add', '-m', '{}', 'HEAD');
  seed.git('push', '-q', origin, 'refs/notes/paceflow');

  const alice = clone('alice');
  const bob = clone('bob');
  // Alice: a Claude session writes the login module on her branch; she adds a line of her own.
  const login = 'def login(user):\n    token = issue_token(user)\n    audit_log(user, token)\n    return token\n';
  const ta = new ClaudeTranscript('aaaaaaaa-0000-4000-8000-000000000001', alice.repo.dir, 'feature/ABC-1-login');
  ta.prompt('write a login function').write('toolu_a1', join(alice.repo.dir, 'login.py'), login).bash('toolu_a2', 'pytest', true);
  transcript(alice.home, ta);
  alice.repo.git('checkout', '-q', '-b', 'feature/ABC-1-login');
  alice.repo.write('login.py', login).commit('ABC-1 add login', { at: at('2026-02-02T10:00:00Z') });
  alice.repo
    .write('README.md', '# project\n\nLogin lives in login.py, with audit logging.\n')
    .commit('ABC-1 document login', { at: at('2026-02-02T10:30:00Z') });
  await run(alice);
  pushAll(alice, 'feature/ABC-1-login', 'refs/notes/paceflow');
  // An early sync of Alice's, before anything reached mainline (replaced by her later one).
  aliceEarly = join(tempDir('paceflow-db-'), 'early.db');
  {
    const db = openDatabase(alice.db);
    machineId(db); // made now, so the copy is the same machine earlier, not another one
    db.exec(`VACUUM INTO '${aliceEarly}'`);
    db.close();
  }

  // Bob: a Claude session writes the export module; a commit with a Claude trailer; he fetches the notes first.
  const exporter = 'def export_rows(rows):\n    writer = open_csv_writer()\n    writer.write_all(rows)\n    return writer.close()\n';
  const tb = new ClaudeTranscript('bbbbbbbb-0000-4000-8000-000000000002', bob.repo.dir, 'feature/ABC-2-export');
  tb.prompt('write an export function').write('toolu_b1', join(bob.repo.dir, 'export.py'), exporter);
  transcript(bob.home, tb);
  bob.repo.git('checkout', '-q', '-b', 'feature/ABC-2-export');
  // Two lines of Bob's own beside the AI's four: a note's share (4 of 6) is not which lines.
  const bobsLines = 'EXPORT_FORMAT_VERSION = 2\nEXPORT_DEFAULT_ENCODING = "utf-8"\n';
  bob.repo.write('export.py', `${exporter}\n${bobsLines}`).commit('ABC-2 add export', { at: at('2026-02-03T09:00:00Z') });
  bob.repo
    .write('export_test.py', 'def test_export_rows():\n    assert export_rows([]) is not None\n    assert export_rows([1]) is not None\n')
    .commit('ABC-2 test export\n\nCo-Authored-By: Claude <noreply@anthropic.com>', { at: at('2026-02-03T09:30:00Z') });
  bob.repo.git('fetch', '-q', 'origin', '+refs/notes/paceflow:refs/notes/paceflow');
  await run(bob);
  pushAll(bob, 'feature/ABC-2-export', 'refs/notes/paceflow');

  // Both pull requests merge on mainline; a later mainline commit changes one of Bob's AI lines.
  alice.repo.git('fetch', '-q', 'origin');
  alice.repo.git('checkout', '-q', 'main');
  alice.repo
    .at(at('2026-02-04T09:00:00Z'))
    .git('merge', '-q', '--no-ff', 'feature/ABC-1-login', '-m', 'Merge pull request #1 from team/feature/ABC-1-login');
  alice.repo
    .at(at('2026-02-04T10:00:00Z'))
    .git('merge', '-q', '--no-ff', 'origin/feature/ABC-2-export', '-m', 'Merge pull request #2 from team/feature/ABC-2-export');
  alice.repo
    .write(
      'export.py',
      'def export_rows(rows):\n    writer = open_csv_writer(delimiter=";")\n    writer.write_all(rows)\n    return writer.close()\n\n' +
        'EXPORT_FORMAT_VERSION = 3\nEXPORT_DEFAULT_ENCODING = "latin-1"\n',
    )
    .commit('use semicolons in exports', { at: at('2026-02-05T09:00:00Z') });
  pushAll(alice, 'main');

  // Everyone fetches; Bob's main follows origin's. CI clones with the notes.
  alice.repo.git('fetch', '-q', 'origin', '+refs/notes/paceflow:refs/notes/paceflow');
  bob.repo.git('fetch', '-q', 'origin');
  bob.repo.git('fetch', '-q', 'origin', '+refs/notes/paceflow:refs/notes/paceflow');
  bob.repo.git('checkout', '-q', 'main');
  bob.repo.git('merge', '-q', '--ff-only', 'origin/main');
  const ci = clone('ci', emptySessionHome(), false);
  // The database that saw everything: a clone with every branch, and both developers' transcripts.
  const everyone = emptySessionHome();
  transcript(everyone, ta);
  transcript(everyone, tb);
  const all = clone('all', everyone);
  for (const branch of ['feature/ABC-1-login', 'feature/ABC-2-export']) all.repo.git('branch', '-q', branch, `origin/${branch}`);
  machines = { alice, bob, ci, all };
  for (const m of [alice, bob, ci, all]) await run(m);
}, 120_000);
afterAll(cleanupTempDirs);

async function syncInto(url: string, db: string): Promise<void> {
  const database = openDatabase(db);
  try {
    await syncToWarehouse(database, { url, version: '0.0.0-test', identitySalt: null });
  } finally {
    database.close();
  }
}

describe('three machines, one warehouse: the team views equal one database that saw everything', () => {
  let expected: Record<string, string[]>;
  beforeAll(async () => {
    const url = await freshWarehouse('everything');
    await syncInto(url, machines.all.db);
    expected = await teamSnapshot(url, [...EVENTS, ...VIEWS]);
    // The case is worth testing: transcripts, notes and a trailer, AI lines churned on mainline.
    const [summary] = await warehouseQuery<Record<string, number>>(url, `SELECT * FROM view_repository_summary`);
    expect(summary).toMatchObject({ commits: 6, tracked_commits: 3, sessions: 2 });
    expect(summary!.ai_lines_churned).toBeGreaterThan(0);
    const sources = await warehouseQuery<{ source: string }>(url, `SELECT DISTINCT source FROM event_commit_attributions ORDER BY 1`);
    expect(sources.map((s) => s.source)).toEqual(['trailer', 'transcript']);
  });

  for (const order of [
    ['alice', 'bob', 'ci'],
    ['ci', 'bob', 'alice'],
    ['bob', 'ci', 'alice'],
  ] as const) {
    itPostgres(`synced in the order ${order.join(', ')}`, async () => {
      const url = await freshWarehouse('team');
      for (const name of order) await syncInto(url, machines[name].db);
      expect(await teamSnapshot(url, [...EVENTS, ...VIEWS])).toEqual(expected);
      const [{ n }] = (await warehouseQuery<{ n: number }>(url, `SELECT count(*)::int AS n FROM sync_machines`)) as [{ n: number }];
      expect(n).toBe(3);
    });
  }

  itPostgres("a machine's stale sync is replaced by its newer one, and alone each machine's view differs", async () => {
    const url = await freshWarehouse('team');
    await syncInto(url, aliceEarly);
    await syncInto(url, machines.ci.db);
    const partial = await teamSnapshot(url, [...EVENTS, ...VIEWS]);
    expect(partial).not.toEqual(expected);
    await syncInto(url, machines.bob.db);
    await syncInto(url, machines.alice.db);
    expect(await teamSnapshot(url, [...EVENTS, ...VIEWS])).toEqual(expected);
    // CI alone knows the AI lines only as counts from notes: not the same answer.
    const ciOnly = await freshWarehouse('ci');
    await syncInto(ciOnly, machines.ci.db);
    expect(await teamSnapshot(ciOnly, [...EVENTS, ...VIEWS])).not.toEqual(expected);
  });
});
