/**
 * `report -f json` as the older tests read it: one array of rows per view, and the range's rows
 * under its name (`range A..B`), taken from the envelope (views, range).
 */
export function reportSections(output: string): Record<string, Record<string, unknown>[]> {
  const json = JSON.parse(output) as {
    views: Record<string, Record<string, unknown>[]>;
    range?: { name: string; rows: Record<string, unknown>[] };
  };
  return { ...(json.range ? { [json.range.name]: json.range.rows } : {}), ...json.views };
}
