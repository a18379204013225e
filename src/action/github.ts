import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

/**
 * The few GitHub REST calls the Action makes, through GitHub's own toolkit (`@actions/github`:
 * Octokit with the runner's proxy settings) plus Octokit's retry plugin (5xx answers, with backoff)
 * and throttling plugin (primary and secondary rate limits: wait and retry, a few times). Pagination
 * is Octokit's. The base URL comes from GITHUB_API_URL (GitHub Enterprise, and the tests' server).
 */
export class GitHubApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`GitHub API ${method} ${path}: ${status}${detail ? ` ${detail}` : ''}`);
    this.name = 'GitHubApiError';
  }

  /** The token may not write here: a fork's pull request, or `permissions` without it. */
  get isPermission(): boolean {
    return this.status === 401 || this.status === 403 || this.status === 404;
  }
}

export interface IssueComment {
  id: number;
  body?: string | undefined;
  user: { login: string; type?: string } | null;
}

/** How often and how long to retry; the tests shorten the waits. */
export interface RetryPolicy {
  retries: number;
  /** The first wait, in ms (retry: n² × this; rate limits: what GitHub's Retry-After says). */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 1000 };

type Octokit = ReturnType<typeof getOctokit>;

export class GitHubClient {
  private readonly octokit: Octokit;

  constructor(
    token: string,
    baseUrl: string,
    private readonly owner: string,
    private readonly repo: string,
    policy: RetryPolicy = DEFAULT_RETRY,
  ) {
    const again = (_after: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < policy.retries;
    this.octokit = getOctokit(
      token,
      {
        baseUrl: baseUrl.replace(/\/$/, ''),
        userAgent: 'paceflow-action',
        retry: { retries: policy.retries, retryAfterBaseValue: policy.baseDelayMs },
        throttle: { onRateLimit: again, onSecondaryRateLimit: again, retryAfterBaseValue: policy.baseDelayMs },
      },
      retry,
      throttling,
    );
  }

  /** Runs one call; a failure becomes a GitHubApiError naming the call and the HTTP status. */
  private async call<T>(method: string, path: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const e = error as { status?: number; message?: string; response?: { data?: { message?: string } } };
      const status = typeof e.status === 'number' ? e.status : 0;
      const detail = e.response?.data?.message ?? (status === 0 ? `request failed: ${e.message ?? String(error)}` : (e.message ?? ''));
      throw new GitHubApiError(method, path, status, detail);
    }
  }

  /** The login the token acts as; null when the token cannot say (GITHUB_TOKEN answers 403). */
  async viewer(): Promise<string | null> {
    try {
      return await this.call('GET', '/user', async () => (await this.octokit.rest.users.getAuthenticated()).data.login);
    } catch (error) {
      if (error instanceof GitHubApiError && error.isPermission) return null;
      throw error;
    }
  }

  listIssueComments(issue: number): Promise<IssueComment[]> {
    const { owner, repo } = this;
    return this.call('GET', `/repos/${owner}/${repo}/issues/${issue}/comments`, () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, { owner, repo, issue_number: issue, per_page: 100 }),
    );
  }

  createIssueComment(issue: number, body: string): Promise<IssueComment> {
    const { owner, repo } = this;
    return this.call(
      'POST',
      `/repos/${owner}/${repo}/issues/${issue}/comments`,
      async () => (await this.octokit.rest.issues.createComment({ owner, repo, issue_number: issue, body })).data,
    );
  }

  updateIssueComment(id: number, body: string): Promise<IssueComment> {
    const { owner, repo } = this;
    return this.call(
      'PATCH',
      `/repos/${owner}/${repo}/issues/comments/${id}`,
      async () => (await this.octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body })).data,
    );
  }
}
