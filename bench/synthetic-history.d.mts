export interface SessionSpec {
  id: string;
  branch: string;
  edits: { at: number; path: string; lines: string[] }[];
}

export interface HistoryStats {
  commits: number;
  merges: number;
  squashes: number;
  rebases: number;
  open: number;
  reverts: number;
  renames: number;
  tags: number;
  aiCommits: number;
}

export function generateHistory(options: {
  dir: string;
  commits?: number;
  seed?: number;
  aiShare?: number;
  repack?: boolean;
}): Promise<{ repo: string; sessions: SessionSpec[]; stats: HistoryStats }>;

export function writeTranscripts(sessions: readonly SessionSpec[], repoDir: string, home: string): { files: number; bytes: number };
export function prng(seed: number): () => number;
