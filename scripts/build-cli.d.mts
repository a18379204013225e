/** The CLI's bundles (scripts/build-cli.mjs), for the tests that read what went into them. */
export interface CliBundle {
  entry: string;
  outfile: string;
  /** Written as one function expression of CommonJS's arguments (the bundles the loader runs). */
  wrapped?: boolean;
}
export declare const CLI_BUNDLES: CliBundle[];
/** Node's modules the bundles load when first used, not as they start. */
export declare const LAZY_BUILTINS: string[];
/** What wraps a bundle the loader runs. */
export declare const LOADER_WRAPPER: { head: string; tail: string };
export declare function buildCli(options?: { write?: boolean }): Promise<(CliBundle & { bytes: number; inputs: string[] })[]>;
