/** The CLI's bundles (scripts/build-cli.mjs), for the tests that read what went into them. */
export interface CliBundle {
  entry: string;
  outfile: string;
}
export declare const CLI_BUNDLES: CliBundle[];
export declare function buildCli(options?: { write?: boolean }): Promise<(CliBundle & { bytes: number; inputs: string[] })[]>;
