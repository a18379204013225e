import { heredocWrites, splitLines } from './patch.js';
import type { EditInput } from './types.js';

/**
 * The files a shell command writes through heredocs (`cat > f <<EOF`), as pending edits of the
 * call that ran it: one edit per file, settled later by the command's result.
 */
export function heredocEdits(
  command: string,
  call: { sessionId: string; callId: string; recordId: string; toolName: string; timestamp: string | null },
  absolute: (path: string) => string,
): EditInput[] {
  return heredocWrites(command).map((write) => {
    const absPath = absolute(write.path);
    return {
      sessionId: call.sessionId,
      editId: `${call.callId}#${absPath}`,
      recordId: call.recordId,
      toolName: `${call.toolName}:heredoc`,
      absPath,
      status: 'pending',
      timestamp: call.timestamp,
      addedText: splitLines(write.content).join('\n'),
      removedText: null,
      textSource: 'input',
    };
  });
}
