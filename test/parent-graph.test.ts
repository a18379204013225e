import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { branchesOnlyFrom } from '../src/git/log.js';
import { ParentGraph } from '../src/git/parent-graph.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const sha = (n: number) => createHash('sha1').update(`c${n}`).digest('hex');

/** The walk as a Map of parents gave it (branchesOnlyFrom before the graph was columns). */
function walkOfMap(lines: string[][], head: string): { own: string[]; leaves: Set<string> } {
  const graph = new Map(lines.map(([c, ...ps]) => [c!, ps]));
  const own: string[] = [];
  const leaves = new Set<string>();
  const seen = new Set<string>();
  const stack = graph.has(head) ? [head] : [];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (seen.has(c)) continue;
    seen.add(c);
    own.push(c);
    for (const p of graph.get(c)!) {
      if (graph.has(p)) stack.push(p);
      else leaves.add(p);
    }
  }
  return { own, leaves };
}

describe('ParentGraph', () => {
  // The landing walk reads a graph the database's rows or rev-list gave, each commit's time a
  // column: a commit named as a parent before its own row is listed only from that row on.
  it('gives each listed commit its parents as places and its time; a sha named only as a parent is not listed', () => {
    const graph = new ParentGraph();
    graph.add(sha(3), [sha(2), sha(9)], 300);
    expect(graph.listed(sha(2))).toBeUndefined();
    graph.add(sha(2), [sha(1)], 200);
    graph.add(sha(1), []);
    const three = graph.listed(sha(3))!;
    const two = graph.listed(sha(2))!;
    const one = graph.listed(sha(1))!;
    expect([graph.timeAt(three), graph.timeAt(two)]).toEqual([300, 200]);
    expect(graph.timeAt(one)).toBeNaN();
    expect(Array.from({ length: graph.parentCountAt(three) }, (_, k) => graph.shaAt(graph.parentAt(three, k)))).toEqual([sha(2), sha(9)]);
    expect(graph.parentAt(three, 0)).toBe(two);
    const outside = graph.parentAt(three, 1);
    expect([graph.isListed(outside), graph.listed(sha(9)), graph.parentCountAt(outside)]).toEqual([false, undefined, 0]);
    expect([graph.parentCountAt(one), graph.size]).toEqual([0, 4]);
    // Listed twice: the first parents and time stay.
    graph.add(sha(2), [sha(7)], 999);
    expect([graph.parentCountAt(two), graph.shaAt(graph.parentAt(two, 0)), graph.timeAt(two)]).toEqual([1, sha(1), 200]);
  });

  it.each([
    { name: 'a chain leaving for one parent outside', size: 50, merges: 0, outside: 1 },
    { name: 'merges, octopus merges and many parents outside', size: 3000, merges: 0.2, outside: 40 },
  ])("walks each head as a Map of rev-list's lines did, in the same order: $name", ({ size, merges, outside }) => {
    let seed = 5;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    // rev-list's order: children before parents; parents are older commits or outside ones.
    const lines: string[][] = [];
    for (let i = size - 1; i >= 0; i--) {
      const parents: string[] = [];
      const count = i === 0 ? 0 : random() < merges ? (random() < 0.1 ? 4 : 2) : 1;
      for (let k = 0; k < count; k++)
        parents.push(random() < 0.05 ? sha(-1 - Math.floor(random() * outside)) : sha(Math.floor(random() * i)));
      if (i === 0) parents.push(sha(-1));
      lines.push([sha(i), ...parents]);
    }
    const graph = ParentGraph.parse(Buffer.from(`${lines.map((l) => l.join(' ')).join('\n')}\n`, 'latin1'));
    for (const head of [sha(size - 1), sha(Math.floor(size / 2)), sha(0), sha(-1), sha(size + 5)]) {
      expect(graph.walkFrom(head), head).toEqual(walkOfMap(lines, head));
    }
    expect(graph.has(sha(0))).toBe(true);
    expect(graph.has(sha(-1))).toBe(false);
  });

  it('reads each sha as its own string, not a slice of the output', () => {
    const graph = ParentGraph.parse(Buffer.from(`${sha(2)} ${sha(1)}\n${sha(1)} ${sha(0)} ${sha(9)}\n`, 'latin1'));
    expect(graph.walkFrom(sha(2))).toEqual({ own: [sha(2), sha(1)], leaves: new Set([sha(0), sha(9)]) });
    // No trailing newline, a blank line: the same.
    const again = ParentGraph.parse(Buffer.from(`${sha(2)} ${sha(1)}\n\n${sha(1)} ${sha(0)} ${sha(9)}`, 'latin1'));
    expect(again.walkFrom(sha(2))).toEqual(graph.walkFrom(sha(2)));
  });

  // The graph outlives the output (the run keeps it for the outcome build): a sha sliced from the
  // output's text kept that whole text alive, and a parents array per commit came with it.
  it('holds its shas and places, not the output it was read from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
    const n = 100_000;
    const lines: string[] = [];
    for (let i = n - 1; i >= 0; i--) lines.push(i === 0 ? sha(0) : `${sha(i)} ${sha(i - 1)}${i % 10 === 0 ? ` ${sha(-i)}` : ''}`);
    let output: Buffer | null = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
    lines.length = 0;
    gc();
    const before = process.memoryUsage();
    const graph = ParentGraph.parse(output);
    output = null;
    gc();
    // 110k shas of 40 characters as strings of their own (~6 MB; the places are typed arrays, off
    // this heap). Split from the output's text, as a Map of parents arrays, it was ~3× that.
    expect(process.memoryUsage().heapUsed - before.heapUsed).toBeLessThan(9_000_000);
    expect(graph.walkFrom(sha(5)).own).toHaveLength(6);
  });

  it('gives each branch what git lists as its own off mainline, and the parents where it leaves', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'a\n').commit('first');
    const fork = repo.write('b.txt', 'b\n').commit('second');
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('t.txt', 't\n').commit('topic 1');
    repo.git('checkout', '-q', '-b', 'side', 'HEAD');
    repo.write('s.txt', 's\n').commit('side');
    repo.git('checkout', '-q', 'topic');
    repo.write('t.txt', 't2\n').commit('topic 2');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const topic = repo.git('rev-parse', 'HEAD');
    repo.git('checkout', '-q', 'main');
    const main = repo.write('c.txt', 'c\n').commit('third');
    const side = repo.git('rev-parse', 'side');
    const walked = await branchesOnlyFrom([topic, side, main], [main], repo.dir);
    for (const head of [topic, side]) {
      const listed = repo.git('rev-list', head, `^${main}`).split('\n').filter(Boolean);
      expect(new Set(walked.get(head)!.own)).toEqual(new Set(listed));
      expect(walked.get(head)!.own).toHaveLength(listed.length);
      expect(walked.get(head)!.leaves).toEqual(new Set([fork]));
    }
    expect(walked.get(main)).toEqual({ own: [], leaves: new Set() });
  });
});
