import type BetterSqlite3 from 'better-sqlite3';
import { type BetterSqlite3Package, loadBetterSqlite3 } from './better-sqlite3-package.js';

/**
 * Gives memory the process freed back to the system: glibc's `malloc_trim`, which returns every
 * whole free page inside malloc's arenas (madvise), not only the top of the heap as free() does.
 *
 * Why: node's array buffers, its streams' 64 KiB chunks and SQLite's pages all come from malloc,
 * and glibc keeps what they free resident. Once a large buffer was freed, glibc's mmap threshold
 * rises with it (up to 32 MiB), so later buffers below that size come from the main arena too and
 * leave holes where they are freed out of order. On git's own history with its pull requests the
 * main arena held 122 MB after the outcome build with 59 MB in use (`malloc_stats` through gdb):
 * ~60 MB resident for nothing under every later phase, the run's peak on top (bench/README,
 * session 76).
 *
 * Node has no foreign-function interface, and glibc's tunables are read only as a process starts.
 * SQLite's extension loader is the one way in: `sqlite3_load_extension(db, "libc.so.6",
 * "malloc_trim")` opens the C library (already loaded: its handle is counted, nothing new is
 * mapped) and calls the named function as an extension's entry point. malloc_trim(pad) takes the
 * connection's pointer as its `pad` and ignores the other two arguments: the pages of free chunks
 * are given back whatever the pad, while the heap's free top is cut only past it (tens of MB or
 * more as an address; glibc's free() cuts the top itself past its trim threshold). It answers 1
 * when it released memory, which SQLite reports as the extension's failure ("error during
 * initialization"), and 0 when there was nothing to release, which SQLite takes for a loaded
 * extension (its handle kept with the connection's, a few bytes a call): either way the trim has
 * run. The connection is an in-memory one of its own, never a run's database; SQLite's
 * SQL function load_extension() stays off (better-sqlite3 enables the C interface only).
 *
 * Where the C library is not glibc's `libc.so.6` (macOS, Windows, musl) or better-sqlite3 cannot be
 * loaded (the Action opens databases through node:sqlite, whose loader takes no entry point), the
 * first attempt fails, and releasing does nothing from then on.
 */
export interface FreedMemory {
  /** Releases what malloc holds free; false when nothing could be released this way (or none was free). */
  release(): boolean;
}

/** SQLite's message when an entry point answered non-zero: malloc_trim released memory. */
const RELEASED = /^error during initialization/;

/**
 * better-sqlite3's loadExtension takes the entry point as its second argument (its C++ passes both
 * to sqlite3_load_extension); its published types name the first only.
 */
type Connection = Omit<BetterSqlite3.Database, 'loadExtension'> & { loadExtension(file: string, entryPoint: string): unknown };

export function freedMemory(load: () => BetterSqlite3Package = loadBetterSqlite3, library = 'libc.so.6'): FreedMemory {
  let connection: Connection | null | undefined;
  return {
    release() {
      if (connection === undefined) connection = open(load);
      if (connection === null) return false;
      try {
        connection.loadExtension(library, 'malloc_trim');
        return false; // 0: nothing was free
      } catch (error) {
        if (error instanceof Error && RELEASED.test(error.message)) return true;
        // No such library or function here: not glibc. Never tried again.
        connection.close();
        connection = null;
        return false;
      }
    },
  };
}

function open(load: () => BetterSqlite3Package): Connection | null {
  try {
    const { Database, nativeBinding } = load();
    return new Database(':memory:', nativeBinding ? { nativeBinding } : {}) as Connection;
  } catch {
    return null;
  }
}
