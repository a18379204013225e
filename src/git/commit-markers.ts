/**
 * What a commit's own text says about AI involvement (DESIGN §4): co-author trailers, "Generated
 * with" lines, agent bot authors and aider's author/committer/subject markers. These mark a commit
 * AI-assisted and name the provider; they say nothing about which lines.
 */
export const AI_PROVIDERS = ['claude', 'codex', 'gemini', 'cursor', 'copilot', 'amp', 'aider', 'opencode', 'devin'] as const;
export type AiProvider = (typeof AI_PROVIDERS)[number];

export type MarkerSource = 'trailer' | 'message' | 'author' | 'committer' | 'subject';

export interface AiMarker {
  provider: AiProvider;
  source: MarkerSource;
}

interface IdentityRule {
  provider: AiProvider;
  /** Matched against the e-mail address, lower-cased. */
  email?: RegExp;
  /** Matched against the whole name (trimmed); anchored so that a person named Claude is not a bot. */
  name?: RegExp;
}

const IDENTITY_RULES: readonly IdentityRule[] = [
  {
    provider: 'claude',
    email: /^(noreply@anthropic\.com|claude@anthropic\.com|\d+\+claude\[bot\]@users\.noreply\.github\.com)$/,
    name: /^(claude( code)?|claude[ -](opus|sonnet|haiku)([ -][\w.-]+)*|claude\[bot\])$/i,
  },
  {
    provider: 'aider',
    email: /^aider@aider\.chat$/,
    name: /^aider( \(.*\))?$/i,
  },
  {
    provider: 'copilot',
    email: /^(\d+\+)?copilot(-swe-agent\[bot\])?@users\.noreply\.github\.com$/,
    name: /^(github )?copilot( agent)?$|^copilot-swe-agent(\[bot\])?$/i,
  },
  {
    provider: 'cursor',
    email: /^(cursoragent|cursor-ai|agent)@cursor\.(com|sh)$|^\d+\+cursor(agent)?\[bot\]@users\.noreply\.github\.com$/,
    name: /^cursor( agent| ai)?$|^cursor(agent)?\[bot\]$/i,
  },
  {
    provider: 'codex',
    email: /^codex@openai\.com$|^\d+\+chatgpt-codex-connector\[bot\]@users\.noreply\.github\.com$/,
    name: /^(openai )?codex( cli)?$|^chatgpt-codex-connector(\[bot\])?$/i,
  },
  {
    provider: 'gemini',
    email: /^(gemini-cli|gemini)@google\.com$|^\d+\+gemini-code-assist\[bot\]@users\.noreply\.github\.com$/,
    name: /^gemini( cli| code assist)?$|^gemini-code-assist(\[bot\])?$/i,
  },
  { provider: 'amp', email: /^amp@ampcode\.com$/, name: /^amp( agent)?$/i },
  { provider: 'opencode', email: /^(noreply|opencode)@opencode\.ai$/, name: /^opencode$/i },
  {
    provider: 'devin',
    email: /^\d+\+devin-ai-integration\[bot\]@users\.noreply\.github\.com$/,
    name: /^devin(-ai-integration(\[bot\])?)?$/i,
  },
];

/** The provider an identity (name, e-mail) belongs to, if it is an AI agent's. */
export function providerOfIdentity(name: string, email: string): AiProvider | null {
  const n = name.trim();
  const e = email.trim().toLowerCase();
  for (const rule of IDENTITY_RULES) {
    if (rule.email?.test(e) || rule.name?.test(n)) return rule.provider;
  }
  return null;
}

const CO_AUTHOR = /^[ \t]*co-authored-by:[ \t]*(.*?)[ \t]*<([^>]*)>[ \t]*$/gim;

const MESSAGE_RULES: readonly { provider: AiProvider; pattern: RegExp }[] = [
  { provider: 'claude', pattern: /generated with \[?claude code\]?|claude\.(ai|com)\/(code|claude-code)/i },
  { provider: 'amp', pattern: /^amp-thread(-id)?:\s*\S+/im },
  { provider: 'codex', pattern: /generated (with|by) \[?(openai )?codex\b/i },
  { provider: 'gemini', pattern: /generated (with|by) \[?gemini cli\b/i },
  { provider: 'opencode', pattern: /generated (with|by) \[?opencode\b/i },
  { provider: 'cursor', pattern: /generated (with|by) \[?cursor\b/i },
];

/**
 * A word every message rule and the co-author trailer need (each rule names its assistant, the
 * trailer is named): a message without one — nearly every commit of most histories — is tested
 * once, not seven times (the trailer and six rules): ~0.15 s less of a first run on git's own
 * history, 64k messages. A rule added above needs its word here; the marker tests' table fails
 * without it.
 */
const MESSAGE_WORDS = /claude|amp-thread|codex|gemini|opencode|cursor|co-authored-by/i;

export interface CommitIdentityText {
  subject: string;
  message: string;
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
}

/**
 * The first AI marker found, strongest evidence first: an agent as author, aider's ` (aider)`
 * author, a co-author trailer, a "Generated with" line, aider's `aider: ` subject. A mark on the
 * committer alone is not one (see detectAiCommitter): it says who committed, not who wrote.
 */
export function detectAiMarker(commit: CommitIdentityText): AiMarker | null {
  const author = providerOfIdentity(commit.authorName, commit.authorEmail);
  if (author) return { provider: author, source: 'author' };
  if (/ \(aider\)$/i.test(commit.authorName.trim())) return { provider: 'aider', source: 'author' };
  if (MESSAGE_WORDS.test(commit.message)) {
    for (const match of commit.message.matchAll(CO_AUTHOR)) {
      const provider = providerOfIdentity(match[1] ?? '', match[2] ?? '');
      if (provider) return { provider, source: 'trailer' };
    }
    for (const rule of MESSAGE_RULES) {
      if (rule.pattern.test(commit.message)) return { provider: rule.provider, source: 'message' };
    }
  }
  if (/^aider: /i.test(commit.subject)) return { provider: 'aider', source: 'subject' };
  return null;
}

/**
 * The assistant that made the commit for a person: aider appends " (aider)" to the committer alone
 * when it commits changes it found in the work tree (the person's own), and to the author as well
 * when it wrote them. Recorded and shown, never evidence that AI wrote the lines.
 */
export function detectAiCommitter(commit: CommitIdentityText): AiProvider | null {
  const aider = / \(aider\)$/i;
  return aider.test(commit.committerName.trim()) && !aider.test(commit.authorName.trim()) ? 'aider' : null;
}

/** The pull request a commit subject names: a squash's `… (#N)` or `Merge pull request #N …`. */
export function pullRequestNumber(subject: string): number | null {
  const merge = /^Merge pull request #(\d+)\b/.exec(subject);
  if (merge) return Number(merge[1]);
  const squash = /\(#(\d+)\)\s*$/.exec(subject);
  return squash ? Number(squash[1]) : null;
}
