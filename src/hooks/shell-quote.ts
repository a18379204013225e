/**
 * A value as one POSIX sh word: single-quoted, each `'` written as `'\''`. Inside single quotes sh
 * expands nothing — not `$(…)`, backticks, `$VAR`, `;` or a newline — so any path is safe here.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
