import type { GitHubClient, IssueComment } from './github.js';

/** The hidden line that marks paceflow's comment on a pull request. */
export const COMMENT_MARKER = '<!-- paceflow-report -->';

/** The identity GITHUB_TOKEN comments as (it cannot read GET /user). */
export const ACTIONS_BOT = 'github-actions[bot]';

/** paceflow's own earlier comment: the marker, written by the same author as this token. */
export function findStickyComment(comments: readonly IssueComment[], author: string): IssueComment | undefined {
  return comments.find((c) => (c.body ?? '').includes(COMMENT_MARKER) && c.user?.login === author);
}

/** Updates paceflow's comment in place, or creates it the first time. */
export async function upsertStickyComment(
  client: GitHubClient,
  issue: number,
  body: string,
): Promise<{ action: 'created' | 'updated'; id: number }> {
  const author = (await client.viewer()) ?? ACTIONS_BOT;
  const existing = findStickyComment(await client.listIssueComments(issue), author);
  const text = body.includes(COMMENT_MARKER) ? body : `${COMMENT_MARKER}\n${body}`;
  if (existing) {
    await client.updateIssueComment(existing.id, text);
    return { action: 'updated', id: existing.id };
  }
  const created = await client.createIssueComment(issue, text);
  return { action: 'created', id: created.id };
}
