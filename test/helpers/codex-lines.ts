/**
 * Codex rollout lines in the shape of the real 0.125 fixture (rollout-…-019e1625…): session_meta,
 * turn_context, user_message, custom_tool_call apply_patch, patch_apply_end with absolute paths
 * and a unified diff, custom_tool_call_output.
 */
export class CodexRollout {
  private clock = Date.parse('2026-02-01T12:00:00.000Z');
  readonly lines: string[] = [];

  constructor(
    readonly id: string,
    readonly cwd: string,
  ) {
    this.push('session_meta', {
      id,
      timestamp: this.now(),
      cwd,
      originator: 'codex-tui',
      cli_version: '0.125.0',
      source: 'cli',
      model_provider: 'openai',
      git: { branch: 'main' },
    });
    this.push('turn_context', { turn_id: 't1', cwd, approval_policy: 'on-request', model: 'gpt-5.5', effort: 'medium' });
  }

  private now(): string {
    this.clock += 1000;
    return new Date(this.clock).toISOString();
  }

  private push(type: string, payload: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ timestamp: this.now(), type, payload }));
  }

  prompt(text: string): this {
    this.push('event_msg', { type: 'user_message', message: text, images: [], local_images: [], text_elements: [] });
    return this;
  }

  /** Adds a new file through apply_patch, confirmed by patch_apply_end. */
  addFile(callId: string, relPath: string, content: string): this {
    const body = content.replace(/\n$/, '').split('\n');
    const patch = ['*** Begin Patch', `*** Add File: ${relPath}`, ...body.map((l) => `+${l}`), '*** End Patch'].join('\n');
    this.push('response_item', { type: 'custom_tool_call', status: 'completed', call_id: callId, name: 'apply_patch', input: patch });
    this.push('event_msg', {
      type: 'patch_apply_end',
      call_id: callId,
      turn_id: 't1',
      stdout: `Success. Updated the following files:\nA ${relPath}\n`,
      stderr: '',
      success: true,
      changes: { [`${this.cwd}/${relPath}`]: { type: 'add', content } },
      status: 'completed',
    });
    this.push('response_item', {
      type: 'custom_tool_call_output',
      call_id: callId,
      output: JSON.stringify({
        output: `Success. Updated the following files:\nA ${relPath}\n`,
        metadata: { exit_code: 0, duration_seconds: 0.1 },
      }),
    });
    return this;
  }

  /**
   * One apply_patch call adding `files`, of which patch_apply_end reports only `applied` (a patch
   * Codex applied in part): the proposals it does not report are not edits.
   */
  partialPatch(callId: string, files: { path: string; content: string }[], applied: string[]): this {
    const patch = [
      '*** Begin Patch',
      ...files.flatMap((f) => [
        `*** Add File: ${f.path}`,
        ...f.content
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => `+${l}`),
      ]),
      '*** End Patch',
    ].join('\n');
    this.push('response_item', { type: 'custom_tool_call', status: 'completed', call_id: callId, name: 'apply_patch', input: patch });
    const changes = Object.fromEntries(
      files.filter((f) => applied.includes(f.path)).map((f) => [`${this.cwd}/${f.path}`, { type: 'add', content: f.content }]),
    );
    this.push('event_msg', {
      type: 'patch_apply_end',
      call_id: callId,
      turn_id: 't1',
      stdout: `Success. Updated the following files:\n${applied.map((p) => `A ${p}`).join('\n')}\n`,
      stderr: '',
      success: true,
      changes,
      status: 'completed',
    });
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
