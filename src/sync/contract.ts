/**
 * The sync contract (DESIGN §9): what leaves the machine for a team warehouse or a data lake. Every
 * event_* table whole, and the metadata_* columns the views join on or label with — never prompt or
 * response text, code, file contents or home-directory paths. A column is here only by name, with
 * its type, and a text column only with the reason it is safe to send (TEXT_COLUMNS, checked by a
 * test that fails when a text column is added without one).
 *
 * Each table names its *group*: the unit a machine's rows are replaced as (a session's messages, a
 * commit's attributions), and how the warehouse picks the winning machine for it when several hold
 * it (see sql/warehouse/001_warehouse.sql): `session` — the newest read of the transcript;
 * `evidence` — the strongest attribution evidence (transcript > paceflow note > git-ai note >
 * trailer), then the newest build; `mainline` — the newest view of mainline, then the evidence,
 * then the newest build; `repository` — the newest view of mainline, then the newest build.
 */
export type ColumnType = 'text' | 'integer' | 'real';

/** Each contract type as the warehouse (PostgreSQL) stores it. */
export const PG_TYPES = { text: 'text', integer: 'bigint', real: 'double precision' } as const satisfies Record<ColumnType, string>;

export interface ContractColumn {
  readonly name: string;
  readonly type: ColumnType;
  /**
   * The SQLite expression that reads it when it is not the column itself (a transform that keeps
   * the column safe to send). `$identity(x)` marks a person's name or email: hashed with the team
   * salt under --hash-identities.
   */
  readonly read?: string;
  readonly identity?: boolean;
}

export type WinnerRule = 'session' | 'evidence' | 'mainline' | 'repository';

export interface ContractTable {
  readonly name: string;
  /** The grain (the primary key), group columns first. */
  readonly key: readonly string[];
  /** The columns a machine's rows are replaced by as a whole: a prefix of `key`, one or two columns. */
  readonly group: readonly [string] | readonly [string, string];
  readonly columns: readonly ContractColumn[];
  readonly winner: WinnerRule;
  /** SQLite expression (over the table, aliased t) giving the row's month (YYYY-MM) for partitioned exports. */
  readonly month: string;
}

const text = (name: string, extra: Partial<ContractColumn> = {}): ContractColumn => ({ name, type: 'text', ...extra });
const int = (name: string): ContractColumn => ({ name, type: 'integer' });
const real = (name: string): ContractColumn => ({ name, type: 'real' });

const commitMonth = `(SELECT substr(c.committed_at, 1, 7) FROM metadata_commits c WHERE c.repo_id = t.repo_id AND c.sha = t.sha)`;
const sessionMonth = `(SELECT substr(q.started_at, 1, 7) FROM metadata_sessions q WHERE q.session_id = t.session_id)`;

export const CONTRACT: readonly ContractTable[] = [
  {
    name: 'metadata_repositories',
    key: ['repo_id'],
    group: ['repo_id'],
    winner: 'repository',
    month: `substr(t.first_seen_at, 1, 7)`,
    columns: [
      text('repo_id'),
      // The folder name alone: where the work tree lives on a machine stays on it.
      text('root_path', { read: `paceflow_folder_name(t.root_path)` }),
      // host/path of a network remote; a local path (a clone of a folder) is not sent.
      text('remote_url', { read: `paceflow_network_remote(t.remote_url)` }),
      text('mainline_branch'),
      text('mainline_source'),
      int('is_shallow'),
      text('first_seen_at'),
    ],
  },
  {
    name: 'metadata_commits',
    key: ['repo_id', 'sha'],
    group: ['repo_id', 'sha'],
    winner: 'mainline',
    month: `substr(t.committed_at, 1, 7)`,
    columns: [
      text('repo_id'),
      text('sha'),
      text('parent_shas'),
      int('parent_count'),
      text('author_name', { identity: true }),
      text('author_email', { identity: true }),
      text('authored_at'),
      text('committer_name', { identity: true }),
      text('committer_email', { identity: true }),
      text('committed_at'),
      text('subject'),
      int('is_merge'),
      int('is_root'),
      int('is_shallow_boundary'),
      int('is_unreachable'),
      text('ai_marker'),
      text('ai_marker_source'),
      text('ai_committed_by'),
      int('pr_number'),
    ],
  },
  {
    name: 'metadata_sessions',
    key: ['session_id'],
    group: ['session_id'],
    winner: 'session',
    month: `substr(t.started_at, 1, 7)`,
    columns: [
      text('session_id'),
      text('provider'),
      text('parent_session_id'),
      text('model'),
      text('repo_id'),
      text('git_branch'),
      text('started_at'),
      text('ended_at'),
      text('session_kind'),
      text('client_version'),
      // When this machine last read the transcript: which machine's copy of a session is newest.
      text('transcript_read_at', { read: `(SELECT w.updated_at FROM fact_ingest_watermarks w WHERE w.source_path = t.source_path)` }),
    ],
  },
  {
    name: 'event_session_messages',
    key: ['session_id', 'record_id'],
    group: ['session_id'],
    winner: 'session',
    month: `substr(t.timestamp, 1, 7)`,
    columns: [
      text('session_id'),
      text('record_id'),
      text('provider'),
      text('repo_id'),
      text('kind'),
      text('timestamp'),
      int('is_user_prompt'),
      int('is_error_paste'),
      int('is_tool_error'),
    ],
  },
  {
    name: 'event_session_code_changes',
    key: ['session_id', 'edit_id'],
    group: ['session_id'],
    winner: 'session',
    month: `substr(t.timestamp, 1, 7)`,
    columns: [
      text('session_id'),
      text('edit_id'),
      text('provider'),
      text('repo_id'),
      text('path'),
      text('root_session_id'),
      text('tool_name'),
      text('timestamp'),
      int('lines_added'),
      int('lines_removed'),
      int('nontrivial_lines_added'),
      text('status'),
    ],
  },
  {
    name: 'event_session_quality',
    key: ['session_id'],
    group: ['session_id'],
    winner: 'session',
    month: `substr(t.started_at, 1, 7)`,
    columns: [
      text('session_id'),
      text('provider'),
      text('repo_id'),
      text('root_session_id'),
      int('is_subagent'),
      text('model'),
      text('git_branch'),
      text('started_at'),
      text('ended_at'),
      int('duration_s'),
      int('user_prompt_count'),
      int('repeated_debug_loop'),
      int('mid_session_error_paste'),
      int('tool_errors'),
      int('lines_written'),
      int('tokens_in'),
      int('tokens_out'),
    ],
  },
  {
    name: 'event_commit_attributions',
    key: ['repo_id', 'sha', 'provider', 'session_id'],
    group: ['repo_id', 'sha'],
    winner: 'evidence',
    month: commitMonth,
    columns: [
      text('repo_id'),
      text('sha'),
      text('provider'),
      text('session_id'),
      text('model'),
      int('matched_lines'),
      real('share_of_commit'),
      text('source'),
    ],
  },
  {
    name: 'event_commit_outcomes',
    key: ['repo_id', 'sha'],
    group: ['repo_id', 'sha'],
    // Two winners: the attribution columns by evidence, the mainline and revert columns by the
    // newest view of mainline (the warehouse's event_commit_outcomes view joins the two).
    winner: 'evidence',
    month: `substr(t.committed_at, 1, 7)`,
    columns: [
      text('repo_id'),
      text('sha'),
      text('committed_at'),
      int('nontrivial_added_lines'),
      int('ai_lines'),
      real('ai_share'),
      int('heavy_ai'),
      text('attribution_coverage'),
      text('attribution_source'),
      int('merged_to_mainline'),
      text('mainline_via'),
      text('reached_mainline_at'),
      int('merge_window_closed'),
      int('reverted_later'),
      text('reverted_by'),
      text('revert_kind'),
      int('revert_window_closed'),
      text('mainline_sha'),
      // How strong the commit's attribution evidence is on this machine (4 transcript, 3 paceflow
      // note, 2 git-ai note, 1 trailer or marker, 0 none): what the warehouse ranks machines by.
      {
        name: 'evidence',
        type: 'integer',
        read: `CASE t.attribution_source WHEN 'transcript' THEN 4 WHEN 'trailer' THEN 1
                 WHEN 'note' THEN CASE WHEN EXISTS (SELECT 1 FROM fact_commit_notes n WHERE n.repo_id = t.repo_id AND n.sha = t.sha AND n.notes_ref = 'refs/notes/paceflow') THEN 3 ELSE 2 END
                 ELSE 0 END`,
      },
    ],
  },
  {
    name: 'event_commit_churn',
    key: ['repo_id', 'sha'],
    group: ['repo_id', 'sha'],
    winner: 'mainline',
    month: commitMonth,
    columns: [
      text('repo_id'),
      text('sha'),
      int('window_days'),
      int('ai_lines_reaching_mainline'),
      int('ai_lines_churned'),
      int('nonai_lines_reaching_mainline'),
      int('nonai_lines_churned'),
      int('window_closed'),
    ],
  },
  {
    name: 'event_task_commits',
    key: ['repo_id', 'sha', 'task_key'],
    group: ['repo_id', 'sha'],
    winner: 'mainline',
    month: commitMonth,
    columns: [text('task_key'), text('repo_id'), text('sha'), text('branch_name'), int('fallback'), real('confidence'), text('key_source')],
  },
  {
    name: 'event_task_sessions',
    key: ['session_id', 'task_key'],
    group: ['session_id'],
    winner: 'session',
    month: sessionMonth,
    columns: [text('task_key'), text('session_id'), real('session_weight'), int('commit_within_window'), text('link_source')],
  },
];

/**
 * Every text column of the contract and why it is safe to send. A text column not listed here fails
 * test/sync-contract.test.ts: adding one is a decision about privacy, made here, in review.
 */
export const TEXT_COLUMNS: Readonly<Record<string, string>> = {
  repo_id: 'a normalized remote (host/path) or a root commit sha',
  root_path: 'sent as the folder name only, never the path',
  remote_url: 'host/path of a network remote only; local paths are dropped',
  mainline_branch: 'a branch name',
  mainline_source: 'one of a fixed set of words',
  first_seen_at: 'a time',
  sha: 'a commit id',
  parent_shas: 'commit ids',
  author_name: "git's own identity of the commit (hashed with --hash-identities)",
  author_email: "git's own identity of the commit (hashed with --hash-identities)",
  authored_at: 'a time',
  committer_name: "git's own identity of the commit (hashed with --hash-identities)",
  committer_email: "git's own identity of the commit (hashed with --hash-identities)",
  committed_at: 'a time',
  subject: "the commit's first line, already in the repository's history for everyone who can clone it",
  ai_marker: 'a provider name',
  ai_marker_source: 'one of a fixed set of words',
  ai_committed_by: 'a provider name',
  session_id: "'<provider>:<the assistant's own id>' (a uuid or hash)",
  provider: 'a provider name',
  parent_session_id: 'a session id',
  model: "the model's name",
  git_branch: 'a branch name',
  started_at: 'a time',
  ended_at: 'a time',
  session_kind: 'one of a fixed set of words',
  client_version: "the assistant's version",
  transcript_read_at: 'a time',
  record_id: "the assistant's record id (a uuid or a position)",
  kind: 'one of a fixed set of words',
  timestamp: 'a time',
  edit_id: "the assistant's tool-call id",
  path: 'a repository-relative path (NULL outside a repository: no absolute path is kept here)',
  root_session_id: 'a session id',
  tool_name: "the assistant's tool name",
  status: 'one of a fixed set of words',
  source: 'one of a fixed set of words',
  attribution_coverage: 'one of a fixed set of words',
  attribution_source: 'one of a fixed set of words',
  mainline_via: 'one of a fixed set of words',
  reached_mainline_at: 'a time',
  reverted_by: 'a commit id',
  revert_kind: 'one of a fixed set of words',
  mainline_sha: 'a commit id',
  task_key: 'a ticket key such as ABC-123',
  branch_name: 'a branch name',
  key_source: 'one of a fixed set of words',
  link_source: 'one of a fixed set of words',
};
