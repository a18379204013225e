import { formatCount } from '../format.js';
/** A one-line progress display on a TTY (stderr); silent everywhere else. */
export interface Progress {
  total(n: number): void;
  update(done: number): void;
  done(): void;
}

const silent: Progress = { total() {}, update() {}, done() {} };

export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silent;
  let total: number | null = null;
  let last = 0;
  let current = 0;
  const started = Date.now();
  const draw = () => {
    const rate = Math.round(current / Math.max((Date.now() - started) / 1000, 0.001));
    let text: string;
    if (total !== null && total > 0) {
      const width = 24;
      const ratio = Math.min(current / total, 1);
      const filled = Math.round(ratio * width);
      text = `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${formatCount(current)}/${formatCount(total)} (${formatCount(rate)}/s)`;
    } else {
      text = `${label} ${formatCount(current)} (${formatCount(rate)}/s)`;
    }
    stream.write(`\r\x1b[2K${text}`);
  };
  return {
    total(n) {
      total = n;
      draw();
    },
    update(done) {
      current = done;
      const now = Date.now();
      if (now - last >= 100) {
        last = now;
        draw();
      }
    },
    done() {
      if (current > 0 || total !== null) stream.write('\r\x1b[2K');
    },
  };
}
