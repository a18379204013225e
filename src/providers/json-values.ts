/** Narrowing helpers for the loosely shaped JSON the assistants write: wrong shapes become empty. */
export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
