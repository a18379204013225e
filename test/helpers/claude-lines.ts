import { randomUUID } from 'node:crypto';

/**
 * Claude Code transcript lines in the shape of the real 2.0.69 fixture (dac34307…): the same
 * envelope fields, one content block per assistant line, tool results with toolUseResult.
 */
export class ClaudeTranscript {
  private clock = Date.parse('2026-02-01T10:00:00.000Z');
  private parent: string | null = null;
  readonly lines: string[] = [];

  constructor(
    readonly sessionId: string,
    readonly cwd: string,
    readonly gitBranch = 'main',
  ) {}

  private envelope(type: string, extra: Record<string, unknown>): Record<string, unknown> {
    const uuid = randomUUID();
    this.clock += 1000;
    const line = {
      parentUuid: this.parent,
      isSidechain: false,
      userType: 'external',
      cwd: this.cwd,
      sessionId: this.sessionId,
      version: '2.0.69',
      gitBranch: this.gitBranch,
      type,
      uuid,
      timestamp: new Date(this.clock).toISOString(),
      ...extra,
    };
    this.parent = uuid;
    return line;
  }

  private push(line: Record<string, unknown>): Record<string, unknown> {
    this.lines.push(JSON.stringify(line));
    return line;
  }

  prompt(text: string): this {
    this.push(this.envelope('user', { message: { role: 'user', content: text } }));
    return this;
  }

  toolUse(id: string, name: string, input: Record<string, unknown>): this {
    this.push(
      this.envelope('assistant', {
        message: {
          model: 'claude-sonnet-4-5-20250929',
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          content: [{ type: 'tool_use', id, name, input }],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 },
        },
        requestId: `req_${id}`,
      }),
    );
    return this;
  }

  toolResult(id: string, result: { isError?: boolean; content?: string; toolUseResult?: unknown }): this {
    this.push(
      this.envelope('user', {
        message: {
          role: 'user',
          content: [
            { tool_use_id: id, type: 'tool_result', content: result.content ?? 'ok', ...(result.isError ? { is_error: true } : {}) },
          ],
        },
        ...(result.toolUseResult !== undefined ? { toolUseResult: result.toolUseResult } : {}),
      }),
    );
    return this;
  }

  /** An Edit as Claude writes it: tool_use, then the result with its structuredPatch. */
  edit(id: string, filePath: string, oldString: string, newString: string): this {
    this.toolUse(id, 'Edit', { file_path: filePath, old_string: oldString, new_string: newString });
    // As Claude's structuredPatch: unchanged leading/trailing lines are context, the rest -/+.
    const before = oldString.split('\n');
    const after = newString.split('\n');
    let head = 0;
    while (head < before.length && head < after.length && before[head] === after[head]) head++;
    let tail = 0;
    while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail])
      tail++;
    const context = (lines: string[]) => lines.map((l) => ` ${l}`);
    const removed = before.slice(head, before.length - tail).map((l) => `-${l}`);
    const added = after.slice(head, after.length - tail).map((l) => `+${l}`);
    const lines = [...context(before.slice(0, head)), ...removed, ...added, ...context(before.slice(before.length - tail))];
    return this.toolResult(id, {
      content: `The file ${filePath} has been updated.`,
      toolUseResult: {
        filePath,
        oldString,
        newString,
        originalFile: oldString,
        structuredPatch: [{ oldStart: 1, oldLines: before.length, newStart: 1, newLines: after.length, lines }],
        userModified: false,
        replaceAll: false,
      },
    });
  }

  /** A Write of a new file. */
  write(id: string, filePath: string, content: string): this {
    this.toolUse(id, 'Write', { file_path: filePath, content });
    return this.toolResult(id, {
      content: `File created successfully at: ${filePath}`,
      toolUseResult: { type: 'create', filePath, content, structuredPatch: [], originalFile: null },
    });
  }

  bash(id: string, command: string, exitOk: boolean): this {
    this.toolUse(id, 'Bash', { command, description: 'run' });
    return this.toolResult(id, exitOk ? { content: 'done' } : { isError: true, content: 'Error: exit code 1' });
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
