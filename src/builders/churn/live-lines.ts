import type { KeyedFile } from '../../git/patch-store.js';

/** A mainline commit whose lines churn is counted for (one event_commit_churn row). */
export interface ChurnSubject {
  sha: string;
  /** When it reached mainline (ms). */
  at: number;
  /** Non-trivial added lines. */
  lines: number;
  /** AI lines among them (a weight when only a share is known). */
  aiWeight: number;
  churned: number;
  aiChurned: number;
}

/**
 * One live line as a small integer: which entry of the subjects it belongs to (LiveLines.entries)
 * times four, plus its weight's kind — 0 and 1 for a line without and with AI evidence, 2 for the
 * entry's share (a subject with only an AI line count spreads one share over all its lines). Held
 * as objects ({subject, weight}), every line added made one that lived through its window: on git's
 * own history's first run the churn pass spent 2.5 s of its 8.7 s in the collector — scavenges
 * copying the lines young, then full collections freeing them old (bench/README, session 43).
 */
type LiveLine = number;

const NO_AI = 0;
const AI = 1;
const SHARE = 2;

/** One line, or the lines of one normal text, oldest first. */
type Lines = LiveLine | LiveLine[];

/**
 * The subjects' lines still present on mainline, by path and normal line (its normalLineHash;
 * newest last), as the churn pass walks mainline forward. A later commit that deletes one inside
 * its subject's window churns it; one that adds the same text back (a move, a reformat) does not.
 * A first run holds a window's lines of the whole mainline: a text present once (most are) keeps
 * its line without a list around it, and its key is a number, not a copy of the line (on git's own
 * history a copy and its map entry cost twice the time of the hash's).
 */
export class LiveLines {
  private readonly byPath = new Map<string, Map<number, Lines>>();
  /** The lines' subjects, each with the share its SHARE lines weigh (an entry per subject and share). */
  private readonly entries: { subject: ChurnSubject; share: number }[] = [];
  private readonly entryOf = new Map<ChurnSubject, number>();

  constructor(private readonly windowMs: number) {}

  /** Adds a subject's line, by its normalLineHash. */
  add(subject: ChurnSubject, path: string, key: number, weight: number): void {
    let byText = this.byPath.get(path);
    if (!byText) {
      byText = new Map();
      this.byPath.set(path, byText);
    }
    const line = this.lineOf(subject, weight);
    const same = byText.get(key);
    if (same === undefined) byText.set(key, line);
    else if (Array.isArray(same)) same.push(line);
    else byText.set(key, [same, line]);
  }

  /**
   * A subject's line of this weight. A subject's SHARE lines all weigh the share of its entry; one
   * added under another share gets an entry of its own.
   */
  private lineOf(subject: ChurnSubject, weight: number): LiveLine {
    const kind = weight === 0 ? NO_AI : weight === 1 ? AI : SHARE;
    let entry = this.entryOf.get(subject);
    const share = entry === undefined ? Number.NaN : this.entries[entry]!.share;
    if (entry === undefined || (kind === SHARE && !Number.isNaN(share) && share !== weight)) {
      entry = this.entries.push({ subject, share: Number.NaN }) - 1;
      this.entryOf.set(subject, entry);
    }
    if (kind === SHARE) this.entries[entry]!.share = weight;
    return entry * 4 + kind;
  }

  private subjectOf(line: LiveLine): ChurnSubject {
    return this.entries[line >>> 2]!.subject;
  }

  private weightOf(line: LiveLine): number {
    const kind = line & 3;
    return kind === NO_AI ? 0 : kind === AI ? 1 : this.entries[line >>> 2]!.share;
  }

  /**
   * What a commit (its files keyed by normalLineHash, landed at `at`, ms) removes from earlier
   * subjects' lines, unless it adds the same text back; renames carry the lines to the new path.
   */
  remove(files: readonly KeyedFile[], at: number): void {
    // The commit's added lines by key, counted when a removed line first finds a live one: most
    // removed lines are older than any window (no live line).
    let addedAnywhere: Map<number, number> | null = null;
    const readdedOf = (): Map<number, number> => {
      if (addedAnywhere) return addedAnywhere;
      addedAnywhere = new Map();
      for (const f of files) for (const key of f.added) addedAnywhere.set(key, (addedAnywhere.get(key) ?? 0) + 1);
      return addedAnywhere;
    };
    for (const f of files) {
      const from = f.oldPath ?? f.path;
      const byText = this.byPath.get(from);
      if (!byText) continue;
      for (const key of f.removed) this.removeOne(byText, key, readdedOf, at);
      if (f.oldPath && f.oldPath !== f.path) this.rename(f.oldPath, f.path, byText);
    }
  }

  private removeOne(byText: Map<number, Lines>, key: number, readdedOf: () => Map<number, number>, at: number): void {
    const candidates = byText.get(key);
    if (candidates === undefined) return;
    const addedAnywhere = readdedOf();
    const readded = addedAnywhere.get(key) ?? 0;
    if (readded > 0) {
      addedAnywhere.set(key, readded - 1); // moved or reformatted: not churn
      return;
    }
    let line: LiveLine;
    if (!Array.isArray(candidates)) {
      line = candidates;
      byText.delete(key);
    } else {
      line = candidates.pop()!;
      if (candidates.length === 1) byText.set(key, candidates[0]!);
    }
    const s = this.subjectOf(line);
    if (at > s.at && at <= s.at + this.windowMs) {
      s.churned++;
      s.aiChurned += this.weightOf(line);
    }
  }

  private rename(from: string, to: string, byText: Map<number, Lines>): void {
    this.byPath.delete(from);
    const into = this.byPath.get(to);
    if (into) for (const [key, lines] of byText) into.set(key, one([...listOf(into.get(key)), ...listOf(lines)]));
    else this.byPath.set(to, byText);
  }

  /** How many lines are live, and on how many paths (what a sweep leaves: test/churn-rules.test.ts). */
  size(): { lines: number; paths: number } {
    let lines = 0;
    for (const byText of this.byPath.values()) for (const l of byText.values()) lines += Array.isArray(l) ? l.length : 1;
    return { lines, paths: this.byPath.size };
  }

  /** Lines whose window closed by `at` can no longer churn: dropping them keeps memory to one window. */
  sweep(at: number): void {
    // forEach, not for…of over entries: a [key, value] pair for every live line at every sweep
    // was the churn pass's largest allocation (214 MB of its 1.1 GB on the 80k bench history's
    // first run). A Map's forEach may delete the entry it is at; setting an existing key keeps its place.
    const since = at - this.windowMs;
    this.byPath.forEach((byText, path) => {
      byText.forEach((lines, text) => {
        if (!Array.isArray(lines)) {
          if (this.subjectOf(lines).at < since) byText.delete(text);
          return;
        }
        let open = 0;
        for (const l of lines) if (this.subjectOf(l).at >= since) open++;
        if (open === lines.length) return;
        if (open === 0) byText.delete(text);
        else byText.set(text, one(lines.filter((l) => this.subjectOf(l).at >= since)));
      });
      if (byText.size === 0) this.byPath.delete(path);
    });
  }
}

function listOf(lines: Lines | undefined): LiveLine[] {
  return lines === undefined ? [] : Array.isArray(lines) ? lines : [lines];
}

function one(lines: LiveLine[]): Lines {
  return lines.length === 1 ? lines[0]! : lines;
}
