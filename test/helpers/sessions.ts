import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, vi } from 'vitest';
import { buildSessionEvents } from '../../src/builders/sessions.js';
import type { Database } from '../../src/db/driver.js';
import { SessionWriter } from '../../src/ingest/session-writer.js';
import { ingestSessions, type SessionIngestResult } from '../../src/ingest/sessions.js';
import { claudeCode } from '../../src/providers/claude-code.js';
import { codex } from '../../src/providers/codex.js';
import type { SessionProvider } from '../../src/providers/types.js';
import { ClaudeTranscript } from './claude-lines.js';
import { TempRepo, tempDir } from './git-repo.js';

/** The real transcripts (read-only; tests copy them, never edit them). */
export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/sessions/', import.meta.url));
/**
 * The real transcripts live in ../shared beside the project, not in it: a clone of the project
 * alone has none. Tests that read them skip there (test/helpers/global-setup.ts says so in one
 * line); in CI (CI=true), which has ../shared, they always run, so a missing copy fails them.
 */
export const SHARED_FIXTURES_MISSING = !existsSync(FIXTURES);
export const SKIP_WITHOUT_SHARED = SHARED_FIXTURES_MISSING && !process.env.CI;
export const itShared = it.skipIf(SKIP_WITHOUT_SHARED);
export const describeShared = describe.skipIf(SKIP_WITHOUT_SHARED);
export const CODEX_ROLLOUT = join(
  FIXTURES,
  'codex/v0.125.0_codemie/sessions/2026/05/11/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl',
);

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) makeWritable(full);
    else chmodSync(full, 0o644);
  }
}

/** A HOME with ~/.claude/projects and ~/.codex laid out as the assistants do. */
export interface SessionHome {
  home: string;
  claudeProjects: string;
  codexHome: string;
  env: NodeJS.ProcessEnv;
}

export function emptySessionHome(): SessionHome {
  const home = tempDir('paceflow-sessions-');
  const claudeProjects = join(home, '.claude', 'projects');
  const codexHome = join(home, '.codex');
  mkdirSync(claudeProjects, { recursive: true });
  mkdirSync(join(codexHome, 'sessions'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.CLAUDE_CONFIG_DIR;
  delete env.CODEX_HOME;
  return { home, claudeProjects, codexHome, env };
}

/**
 * A repository whose second commit adds cart.py, which a Claude Code session (`sessionId`) wrote
 * just before it, its transcript in a fresh HOME: attribution credits the commit to the session.
 */
export function shopWithSessionCommit(sessionId: string): { repo: TempRepo; home: SessionHome } {
  const repo = TempRepo.create();
  repo.write('README.md', '# shop\n').commit('root');
  const home = emptySessionHome();
  const cart = 'def cart_total(items):\n    subtotal = sum(item.price for item in items)\n    return round(subtotal, 2)\n';
  const t = new ClaudeTranscript(sessionId, repo.dir).prompt('write the cart');
  t.write('toolu_cart', join(repo.dir, 'cart.py'), cart);
  const projects = join(home.claudeProjects, '-shop');
  mkdirSync(projects, { recursive: true });
  // The session wrote before the commit (TempRepo's clock starts 2026-01-05T09:00).
  writeFileSync(join(projects, `${t.sessionId}.jsonl`), t.text().replaceAll('2026-02-01T10', '2026-01-05T08'));
  repo.write('cart.py', cart).commit('add cart_total');
  return { repo, home };
}

/** Every Claude Code and Codex fixture copied into a fresh HOME. */
export function fixtureSessionHome(): SessionHome {
  const h = emptySessionHome();
  cpSync(join(FIXTURES, 'claude-code'), h.claudeProjects, { recursive: true });
  cpSync(join(FIXTURES, 'codex/v0.125.0_codemie/sessions'), join(h.codexHome, 'sessions'), { recursive: true });
  makeWritable(h.home);
  return h;
}

export async function ingestHome(
  db: Database,
  h: SessionHome,
  providers: SessionProvider[] = [claudeCode, codex],
  extra: { maxLineBytes?: number; skim?: boolean; recordIdsInMemory?: number } = {},
): Promise<SessionIngestResult> {
  const result = await ingestSessions({ db, providers, environment: { env: h.env, home: h.home }, ...extra });
  buildSessionEvents(db, result.touchedSessions);
  return result;
}

export function jsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The fields of a record in the order recordBase() gives them. */
export const RECORD_SHAPE =
  'sessionId,recordId,kind,timestamp,text,toolName,toolCallId,isError,isSidechain,isMeta,model,messageId,requestId,tokensIn,tokensOut,tokensCacheRead,tokensCacheWrite,offset';

/**
 * Notes the field order of every record the writer is given from now on (the record is still
 * written). One order means one object shape, which keeps the writer's reads fast.
 */
export function watchRecordShapes(): Set<string> {
  const shapes = new Set<string>();
  const record = SessionWriter.prototype.record;
  vi.spyOn(SessionWriter.prototype, 'record').mockImplementation(function (this: SessionWriter, r) {
    shapes.add(Object.keys(r).join(','));
    record.call(this, r);
  });
  return shapes;
}

const OWN = fileURLToPath(new URL('../fixtures/sessions/', import.meta.url));

/** A HOME holding the project's own transcripts (test/fixtures/sessions), one per format, where each assistant looks. */
export function ownFixtureHome(): SessionHome {
  const h = emptySessionHome();
  for (const key of [
    'XDG_CONFIG_HOME',
    'XDG_DATA_HOME',
    'CURSOR_HOME',
    'AMP_DATA_DIR',
    'GEMINI_CLI_HOME',
    'OPENCODE_DATA_DIR',
    'AIDER_CHAT_HISTORY_FILE',
  ]) {
    delete h.env[key];
  }
  cpSync(join(OWN, 'claude-code'), h.claudeProjects, { recursive: true });
  cpSync(join(OWN, 'codex/sessions'), join(h.codexHome, 'sessions'), { recursive: true });
  cpSync(join(OWN, 'gemini-cli/tmp'), join(h.home, '.gemini/tmp'), { recursive: true });
  cpSync(join(OWN, 'copilot/Code'), join(h.home, '.config/Code'), { recursive: true });
  cpSync(join(OWN, 'cursor/projects'), join(h.home, '.cursor/projects'), { recursive: true });
  mkdirSync(join(h.home, '.local/share/amp'), { recursive: true });
  cpSync(join(OWN, 'amp/threads'), join(h.home, '.local/share/amp/threads'), { recursive: true });
  mkdirSync(join(h.home, 'shop'), { recursive: true });
  cpSync(join(OWN, 'aider/.aider.chat.history.md'), join(h.home, 'shop/.aider.chat.history.md'));
  h.env.AIDER_CHAT_HISTORY_FILE = join(h.home, 'shop/.aider.chat.history.md');
  return h;
}
