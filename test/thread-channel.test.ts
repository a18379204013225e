import { describe, expect, it } from 'vitest';
import { ENTRIES_IN_FLIGHT, MESSAGES_IN_FLIGHT, mayPost, SIGNALS, TAKEN, TAKEN_ENTRIES } from '../src/ingest/thread-channel.js';

/** The signals as the main thread leaves them after taking `taken` messages of `takenEntries` entries (modulo 2^32). */
function signalsAfter(taken: number, takenEntries: number): Int32Array {
  const signal = new Int32Array(new SharedArrayBuffer(SIGNALS * Int32Array.BYTES_PER_ELEMENT));
  signal[TAKEN] = taken;
  signal[TAKEN_ENTRIES] = takenEntries;
  return signal;
}

describe('what the transcript thread lets wait unread (src/ingest/thread-channel.ts)', () => {
  const cases: { name: string; taken: number; takenEntries: number; sent: number; sentEntries: number; may: boolean }[] = [
    { name: 'nothing posted yet', taken: 0, takenEntries: 0, sent: 0, sentEntries: 0, may: true },
    { name: 'everything taken, however many entries it was', taken: 5, takenEntries: 10 ** 6, sent: 5, sentEntries: 10 ** 6, may: true },
    {
      name: 'one message over the entries bound is unread',
      taken: 0,
      takenEntries: 0,
      sent: 1,
      sentEntries: ENTRIES_IN_FLIGHT * 3,
      may: false,
    },
    { name: 'small messages far below both bounds', taken: 100, takenEntries: 4000, sent: 600, sentEntries: 24_000, may: true },
    {
      name: 'small messages at the message bound',
      taken: 100,
      takenEntries: 4000,
      sent: 100 + MESSAGES_IN_FLIGHT,
      sentEntries: 8000,
      may: false,
    },
    { name: 'full messages one entry under the bound', taken: 3, takenEntries: 0, sent: 19, sentEntries: ENTRIES_IN_FLIGHT - 1, may: true },
    { name: 'full messages at the entries bound', taken: 3, takenEntries: 0, sent: 19, sentEntries: ENTRIES_IN_FLIGHT, may: false },
    // Both counters wrapped past 2^31 (a run of ~250 GB of transcripts): the difference still counts.
    {
      name: 'entries counted past 2^31, under the bound',
      taken: 7,
      takenEntries: 2 ** 31 - 10,
      sent: 9,
      sentEntries: -(2 ** 31) + 10,
      may: true,
    },
    {
      name: 'entries counted past 2^31, at the bound',
      taken: 7,
      takenEntries: 2 ** 31 - 10,
      sent: 9,
      sentEntries: (-(2 ** 31) - 10 + ENTRIES_IN_FLIGHT) | 0,
      may: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(mayPost(signalsAfter(c.taken, c.takenEntries), c.sent, c.sentEntries)).toBe(c.may);
    });
  }
});
