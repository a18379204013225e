/** The Action's outputs, which thresholds may test. */
export const OUTPUT_NAMES = ['ai_share', 'heavy_ai_commits', 'reverted_later_rate', 'churn_rate', 'coverage'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];
export type Outputs = Record<OutputName, number | null>;

export interface Threshold {
  name: OutputName;
  op: '>' | '>=' | '<' | '<=';
  value: number;
  text: string;
}

export class ThresholdSyntaxError extends Error {}

/** `churn_rate > 0.3, coverage < 0.5`: comma- or newline-separated comparisons of outputs. */
export function parseThresholds(input: string): Threshold[] {
  return input
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((text) => {
      const m = /^([a-z_]+)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)$/.exec(text);
      const name = OUTPUT_NAMES.find((n) => n === m?.[1]);
      if (!m || !name) {
        throw new ThresholdSyntaxError(
          `threshold "${text}": write <output> <op> <number>, e.g. "churn_rate > 0.3" (outputs: ${OUTPUT_NAMES.join(', ')})`,
        );
      }
      return { name, op: m[2] as Threshold['op'], value: Number(m[3]), text };
    });
}

/** The thresholds the outputs cross; an output with no value (no data yet) crosses none. */
export function crossed(thresholds: readonly Threshold[], outputs: Outputs): { threshold: Threshold; actual: number }[] {
  const hits: { threshold: Threshold; actual: number }[] = [];
  for (const threshold of thresholds) {
    const actual = outputs[threshold.name];
    if (actual === null) continue;
    let hit: boolean;
    switch (threshold.op) {
      case '>':
        hit = actual > threshold.value;
        break;
      case '>=':
        hit = actual >= threshold.value;
        break;
      case '<':
        hit = actual < threshold.value;
        break;
      case '<=':
        hit = actual <= threshold.value;
        break;
      default: {
        const never: never = threshold.op;
        throw new Error(`unknown operator ${String(never)}`);
      }
    }
    if (hit) hits.push({ threshold, actual });
  }
  return hits;
}
