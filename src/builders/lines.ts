/**
 * DESIGN §4: a non-trivial line has, after trimming and collapsing whitespace, at least four ASCII
 * letters or digits and is not a keyword-only line (`else`, `end`, `return;`, `} else {` …).
 * Blank, brace-only and whitespace-only lines never count, in a numerator or a denominator.
 */
const KEYWORD_ONLY = new Set([
  'else',
  'end',
  'fi',
  'done',
  'esac',
  'return',
  'break',
  'continue',
  'pass',
  'endif',
  'endfor',
  'endwhile',
  'begin',
  'then',
  'do',
  'try',
  'finally',
  'default',
  'null',
  'none',
  'true',
  'false',
  'nil',
  'undefined',
  'this',
  'self',
  'super',
  'await',
  'yield',
  'export',
  'import',
  'public',
  'private',
  'protected',
  'static',
  'const',
  'let',
  'var',
  'elif',
  'else if',
  'end if',
  'end do',
]);

/**
 * A line with its ends trimmed and each run of whitespace one space. split/join, not
 * replace(/\s+/g, ' '): V8 builds replace's result as a rope of one piece per token, and these
 * strings are kept as map keys by the hundred thousand (40 bytes a piece on top of the text);
 * join gives one flat string, and is faster too.
 */
export function normalizeLine(line: string): string {
  return line.trim().split(/\s+/).join(' ');
}

/** Longer than every keyword-only line: more letters and digits than `protected` has. */
const LONGEST_KEYWORD_ALNUM = 9;

export function isNontrivialLine(line: string): boolean {
  // Whitespace carries no letters or digits, so the raw line's count is the normalized line's.
  let alnum = 0;
  for (let i = 0; i < line.length && alnum <= LONGEST_KEYWORD_ALNUM; i++) {
    const c = line.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) alnum++;
  }
  if (alnum < 4) return false;
  if (alnum > LONGEST_KEYWORD_ALNUM) return true;
  const bare = normalizeLine(line)
    .replace(/^[\s{}()[\];,:]+|[\s{}()[\];,:]+$/g, '')
    .toLowerCase();
  return !KEYWORD_ONLY.has(bare);
}

/** Lines of a stored text block (edits keep their lines joined by \n). */
export function textLines(text: string | null | undefined): string[] {
  return text ? text.split('\n') : [];
}

export function countNontrivial(text: string | null | undefined): number {
  let n = 0;
  for (const line of textLines(text)) if (isNontrivialLine(line)) n++;
  return n;
}
