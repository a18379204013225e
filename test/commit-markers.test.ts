import { describe, expect, it } from 'vitest';
import { detectAiCommitter, detectAiMarker, pullRequestNumber, type AiMarker } from '../src/git/commit-markers.js';
import { normalizeRemoteUrl, redactRemoteUrl } from '../src/git/repository.js';

const human = {
  authorName: 'Ada Lovelace',
  authorEmail: 'ada@example.com',
  committerName: 'Ada Lovelace',
  committerEmail: 'ada@example.com',
};

function marker(message: string, who: Partial<typeof human> = {}): AiMarker | null {
  const subject = message.split('\n')[0] ?? '';
  return detectAiMarker({ ...human, ...who, subject, message });
}

describe('AI markers in commits', () => {
  const cases: [string, string, Partial<typeof human>, AiMarker | null][] = [
    [
      'Claude Code co-author trailer',
      'Fix\n\nCo-Authored-By: Claude <noreply@anthropic.com>',
      {},
      { provider: 'claude', source: 'trailer' },
    ],
    [
      'Claude model-named co-author',
      'Fix\n\nCo-authored-by: Claude Opus 4.1 <noreply@anthropic.com>',
      {},
      { provider: 'claude', source: 'trailer' },
    ],
    [
      'Claude Sonnet co-author, other email',
      'Fix\n\nCo-authored-by: Claude Sonnet 4.5 <claude@users.example>',
      {},
      { provider: 'claude', source: 'trailer' },
    ],
    [
      'Generated with Claude Code line alone',
      'Fix\n\n🤖 Generated with [Claude Code](https://claude.ai/code)',
      {},
      { provider: 'claude', source: 'message' },
    ],
    [
      'claude[bot] author (Claude GitHub app)',
      'Fix',
      { authorName: 'claude[bot]', authorEmail: '209825114+claude[bot]@users.noreply.github.com' },
      { provider: 'claude', source: 'author' },
    ],
    [
      'aider ≥0.85 co-author trailer',
      'feat: x\n\nCo-authored-by: aider (openai/gpt-4o) <aider@aider.chat>',
      {},
      { provider: 'aider', source: 'trailer' },
    ],
    ['aider 0.39–0.84 author suffix', 'feat: x', { authorName: 'Ada Lovelace (aider)' }, { provider: 'aider', source: 'author' }],
    // aider's committer-only suffix (it committed the person's own changes) is no marker: see detectAiCommitter.
    ['aider committer suffix on a user /commit', 'feat: x', { committerName: 'Ada Lovelace (aider)' }, null],
    ['aider ≤0.38 subject prefix', 'aider: Added tests', {}, { provider: 'aider', source: 'subject' }],
    [
      'Copilot co-author',
      'Fix\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>',
      {},
      { provider: 'copilot', source: 'trailer' },
    ],
    [
      'Copilot coding agent author',
      'Fix',
      { authorName: 'copilot-swe-agent[bot]', authorEmail: '198982749+Copilot@users.noreply.github.com' },
      { provider: 'copilot', source: 'author' },
    ],
    [
      'Cursor agent co-author',
      'Fix\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>',
      {},
      { provider: 'cursor', source: 'trailer' },
    ],
    [
      'Cursor co-author, short name',
      'Fix\n\nCo-authored-by: Cursor <cursoragent@cursor.com>',
      {},
      { provider: 'cursor', source: 'trailer' },
    ],
    [
      'Codex cloud connector author',
      'Fix',
      { authorName: 'chatgpt-codex-connector[bot]', authorEmail: '199175422+chatgpt-codex-connector[bot]@users.noreply.github.com' },
      { provider: 'codex', source: 'author' },
    ],
    ['Codex co-author', 'Fix\n\nCo-authored-by: Codex <codex@openai.com>', {}, { provider: 'codex', source: 'trailer' }],
    ['Gemini CLI co-author', 'Fix\n\nCo-authored-by: Gemini CLI <gemini-cli@google.com>', {}, { provider: 'gemini', source: 'trailer' }],
    [
      'Amp co-author',
      'Fix\n\nAmp-Thread-ID: https://ampcode.com/threads/T-1\nCo-authored-by: Amp <amp@ampcode.com>',
      {},
      { provider: 'amp', source: 'trailer' },
    ],
    ['Amp thread trailer alone', 'Fix\n\nAmp-Thread: https://ampcode.com/threads/T-123', {}, { provider: 'amp', source: 'message' }],
    ['OpenCode co-author', 'Fix\n\nCo-Authored-By: opencode <noreply@opencode.ai>', {}, { provider: 'opencode', source: 'trailer' }],
    [
      'Devin author',
      'Fix',
      { authorName: 'devin-ai-integration[bot]', authorEmail: '158243242+devin-ai-integration[bot]@users.noreply.github.com' },
      { provider: 'devin', source: 'author' },
    ],
    [
      'lower-case trailer key, extra spaces',
      'Fix\n\nco-authored-by:   Claude   <noreply@anthropic.com>  ',
      {},
      { provider: 'claude', source: 'trailer' },
    ],
    ['a person named Claude is not an AI', 'Fix\n\nCo-authored-by: Claude Monet <claude@monet.fr>', {}, null],
    ['a person named Claude as author is not an AI', 'Fix', { authorName: 'Claude Shannon', authorEmail: 'claude@bell-labs.com' }, null],
    ['a human co-author', 'Fix\n\nCo-authored-by: Grace Hopper <grace@example.com>', {}, null],
    ['plain commit', 'Refactor the parser', {}, null],
    ['the word aider inside a subject', 'Explain how aider works', {}, null],
  ];
  it.each(cases)('%s', (_name, message, who, expected) => {
    expect(marker(message, who)).toEqual(expected);
  });

  it('prefers an agent author over a trailer of another provider', () => {
    const found = marker('Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>', {
      authorName: 'copilot-swe-agent[bot]',
      authorEmail: '198982749+Copilot@users.noreply.github.com',
    });
    expect(found).toEqual({ provider: 'copilot', source: 'author' });
  });
});

describe('pull request numbers', () => {
  it.each([
    ['Add parser (#123)', 123],
    ['Add parser (#123) ', 123],
    ['Merge pull request #45 from acme/feature', 45],
    ['Fix #12 in the middle', null],
    ['Mention (#9) then more', null],
    ['plain', null],
  ] as const)('%s → %s', (subject, expected) => {
    expect(pullRequestNumber(subject)).toBe(expected);
  });
});

describe('remote URLs', () => {
  it.each([
    ['git@github.com:Acme/Widget.git', 'github.com/acme/widget'],
    ['https://github.com/acme/widget', 'github.com/acme/widget'],
    ['https://github.com/acme/widget.git/', 'github.com/acme/widget'],
    ['https://user:token@github.com/acme/widget.git', 'github.com/acme/widget'],
    ['ssh://git@github.com:22/acme/widget.git', 'github.com/acme/widget'],
    ['ssh://git@gitlab.example.com:2222/group/sub/proj.git', 'gitlab.example.com:2222/group/sub/proj'],
    ['git://example.org/~user/proj.git', 'example.org/user/proj'],
    ['file:///srv/git/proj.git', null],
    ['/srv/git/proj.git', null],
    ['../proj', null],
    ['C:\\repos\\proj', null],
  ] as const)('%s → %s', (url, expected) => {
    expect(normalizeRemoteUrl(url)).toBe(expected);
  });

  it('drops credentials before a URL is stored', () => {
    expect(redactRemoteUrl('https://x-access-token:ghs_abc@github.com/acme/widget.git')).toBe('https://github.com/acme/widget.git');
    expect(redactRemoteUrl('git@github.com:acme/widget.git')).toBe('git@github.com:acme/widget.git');
  });
});

describe('AI-committed is not AI-written', () => {
  const human = {
    authorName: 'Ada Lovelace',
    authorEmail: 'ada@example.com',
    committerName: 'Ada Lovelace',
    committerEmail: 'ada@example.com',
  };
  it.each([
    ['aider committed the person’s own changes (committer only)', { committerName: 'Ada Lovelace (aider)' }, 'aider'],
    [
      'aider wrote and committed them (author and committer)',
      { authorName: 'Ada Lovelace (aider)', committerName: 'Ada Lovelace (aider)' },
      null,
    ],
    ['a person', {}, null],
  ] as const)('%s → committed by %s', (_name, who, expected) => {
    expect(detectAiCommitter({ ...human, ...who, subject: 'feat: x', message: 'feat: x' })).toBe(expected);
  });
});
