import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, commandWord, modulesFor } from '../src/cli/commands/index.js';

describe('which command modules a command line loads', () => {
  it.each([
    [['report', '-f', 'json'], 'report'],
    [['--db', 'x.db', 'stats'], 'stats'],
    [['-C', '../repo', 'hooks', 'status'], 'hooks'],
    [['--repo', 'report', 'ingest'], 'ingest'], // the value of --repo is not the command
    [['--version'], undefined],
    [[], undefined],
    [['--', 'report'], undefined],
  ] as const)('%j → %s', (args, word) => {
    expect(commandWord(args)).toBe(word);
  });

  it.each([
    [['report'], ['report']],
    [['init'], ['init', 'hooks']],
    [['--version'], []],
    [['-v'], []],
  ] as const)('%j loads %j', (args, names) => {
    expect(modulesFor(args).flatMap((m) => m.names)).toEqual(names);
  });

  it.each([[[]], [['--help']], [['no-such-command']], [['help']]])('%j loads every module (help, or commander’s error)', (args) => {
    expect(modulesFor(args)).toEqual(COMMAND_MODULES);
  });

  it('every module registers the commands it is listed under', async () => {
    const { Command } = await import('commander');
    for (const entry of COMMAND_MODULES) {
      const program = new Command();
      (await entry.load()).register(program);
      expect(program.commands.map((c) => c.name())).toEqual(entry.names);
    }
  });
});
