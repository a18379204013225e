/**
 * The few GitHub REST calls the Action makes, over fetch. The base URL comes from GITHUB_API_URL
 * (GitHub Enterprise, and the tests' local server).
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
  body: string;
  user: { login: string; type?: string } | null;
}

export class GitHubClient {
  constructor(
    private readonly token: string,
    private readonly baseUrl: string,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${this.token}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': 'paceflow-action',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new GitHubApiError(method, path, 0, `request failed: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 200);
      try {
        detail = (JSON.parse(text) as { message?: string }).message ?? detail;
      } catch {
        // not JSON: keep the text
      }
      throw new GitHubApiError(method, path, response.status, detail);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The login the token acts as; null when the token cannot say (GITHUB_TOKEN answers 403). */
  async viewer(): Promise<string | null> {
    try {
      return (await this.request<{ login: string }>('GET', '/user')).login;
    } catch (error) {
      if (error instanceof GitHubApiError && error.isPermission) return null;
      throw error;
    }
  }

  async listIssueComments(issue: number): Promise<IssueComment[]> {
    const all: IssueComment[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.request<IssueComment[]>(
        'GET',
        `/repos/${this.owner}/${this.repo}/issues/${issue}/comments?per_page=100&page=${page}`,
      );
      all.push(...batch);
      if (batch.length < 100) return all;
    }
  }

  createIssueComment(issue: number, body: string): Promise<IssueComment> {
    return this.request('POST', `/repos/${this.owner}/${this.repo}/issues/${issue}/comments`, { body });
  }

  updateIssueComment(id: number, body: string): Promise<IssueComment> {
    return this.request('PATCH', `/repos/${this.owner}/${this.repo}/issues/comments/${id}`, { body });
  }
}
