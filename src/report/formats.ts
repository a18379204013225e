import { UsageError } from '../errors.js';

/** The output formats every command takes; apart from the renderers so start-up need not load them. */
export const FORMATS = ['table', 'md', 'json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  const format = FORMATS.find((f) => f === value);
  if (!format) throw new UsageError(`unknown format "${value}" (choose one of ${FORMATS.join(', ')})`);
  return format;
}

/** A terminal gets a table; a pipe or file gets Markdown unless told otherwise. */
export function defaultFormat(stdoutIsTTY: boolean): Format {
  return stdoutIsTTY ? 'table' : 'md';
}
