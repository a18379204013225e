/** The WebAssembly the build ships (scripts/build-wasm.mjs), for the test that checks its bytes. */
export interface WasmModule {
  /** The module's text, from the repository's root. */
  wat: string;
  /** The TypeScript file that carries its bytes. */
  out: string;
  /** The constant that holds them, base64. */
  name: string;
}
export declare const WASM_MODULES: WasmModule[];
export declare function assemble(watFile: string): Promise<Buffer>;
export declare function bytesModule(name: string, wat: string, bytes: Buffer): string;
