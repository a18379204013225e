import type { Database } from '../src/db/driver.js';

export function prng(seed: number): () => number;

export interface ContractFill {
  seed?: number;
  repos?: number;
  commitsPerRepo?: number;
  sessionsPerRepo?: number;
  messagesPerSession?: number;
  start?: number;
  idPrefix?: string;
}

export function fillContract(
  db: Pick<Database, 'prepare' | 'transaction'>,
  options?: ContractFill,
): { commits: number; sessions: number; messages: number; eventRows: number };
