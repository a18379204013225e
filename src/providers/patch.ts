/** Readers for the diff formats assistants write: unified diffs, hunk line arrays, apply_patch. */

export interface LineChanges {
  added: string[];
  removed: string[];
}

/** '+'/'-' lines of a unified diff body (file headers and "\ No newline" markers excluded). */
export function diffLineChanges(lines: readonly string[]): LineChanges {
  const added: string[] = [];
  const removed: string[] = [];
  for (const line of lines) {
    if (line.startsWith('+++ ') || line.startsWith('--- ')) continue;
    if (line.startsWith('+')) added.push(line.slice(1));
    else if (line.startsWith('-')) removed.push(line.slice(1));
  }
  return { added, removed };
}

export function unifiedDiffChanges(diff: string): LineChanges {
  return diffLineChanges(diff.replace(/\r\n/g, '\n').split('\n'));
}

export interface PatchFile {
  op: 'add' | 'delete' | 'update';
  path: string;
  movePath: string | null;
  added: string[];
  removed: string[];
}

/**
 * Parses Codex's apply_patch grammar: `*** Begin Patch`, then `*** Add File:`, `*** Delete File:`
 * or `*** Update File:` (optionally `*** Move to:`) sections of ` `/`-`/`+` lines, `*** End Patch`.
 */
export function parseApplyPatch(text: string): PatchFile[] {
  const files: PatchFile[] = [];
  let current: PatchFile | null = null;
  for (const raw of text.replace(/\r\n/g, '\n').split('\n')) {
    const header = /^\*\*\* (Add|Delete|Update) File: (.+)$/.exec(raw);
    if (header) {
      current = {
        op: header[1] === 'Add' ? 'add' : header[1] === 'Delete' ? 'delete' : 'update',
        path: header[2]!.trim(),
        movePath: null,
        added: [],
        removed: [],
      };
      files.push(current);
      continue;
    }
    if (!current) continue;
    const move = /^\*\*\* Move to: (.+)$/.exec(raw);
    if (move) {
      current.movePath = move[1]!.trim();
      continue;
    }
    if (raw.startsWith('***') || raw.startsWith('@@')) continue;
    if (raw.startsWith('+')) current.added.push(raw.slice(1));
    else if (raw.startsWith('-')) current.removed.push(raw.slice(1));
  }
  return files;
}

/** The body of a shell heredoc that feeds apply_patch (`apply_patch <<'EOF' … EOF`). */
export function applyPatchFromShell(command: string): string | null {
  const m = /apply_patch\s*<<-?\s*['"]?(\w+)['"]?\n([\s\S]*?)\n\1\b/.exec(command);
  if (m) return m[2]!;
  const inline = /^\s*apply_patch\s+(['"])(\*\*\* Begin Patch[\s\S]*)\1\s*$/.exec(command);
  return inline ? inline[2]! : null;
}

export interface HeredocWrite {
  path: string;
  content: string;
  append: boolean;
}

/** `cat > file <<'EOF' … EOF` (and `>>`, `tee`) writes in a shell command, where recognizable. */
export function heredocWrites(command: string): HeredocWrite[] {
  const writes: HeredocWrite[] = [];
  const pattern =
    /(?:cat|tee(\s+-a)?)\s*(>>?)?\s*(?:"([^"]+)"|'([^']+)'|([^\s<>|;&]+))?\s*<<-?\s*['"]?(\w+)['"]?[^\n]*\n([\s\S]*?)\n\6(?=\n|$)/g;
  for (const m of command.matchAll(pattern)) {
    const path = m[3] ?? m[4] ?? m[5];
    const isTee = m[0].startsWith('tee');
    if (!path || (!isTee && !m[2])) continue;
    writes.push({ path, content: m[7]!, append: m[2] === '>>' || m[1] !== undefined });
  }
  return writes;
}

export function splitLines(text: string | null | undefined): string[] {
  if (!text) return [];
  const lines = (text.includes('\r') ? text.replace(/\r\n/g, '\n') : text).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
