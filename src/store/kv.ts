/**
 * The store's one access path to IndexedDB: a small key-value interface over one idb-keyval
 * store (one object store per database, created with `createStore`). Keys are strings built from
 * `/`-separated segments so a whole dataset, run or checkpoint version is one key prefix.
 *
 * Every module of `store/` takes a `Kv` (not a raw `UseStore`) so tests can wrap it, e.g. with a
 * `set` that throws a QuotaExceededError part-way.
 */
import {
  createStore,
  del,
  delMany,
  get,
  getMany,
  promisifyRequest,
  set,
  setMany,
  update,
  type UseStore,
} from 'idb-keyval';

export interface KeyPage {
  /** Return keys strictly greater than this one (for paging). */
  after?: string;
  /** At most this many keys. */
  limit?: number;
}

export interface Kv {
  /** The IndexedDB database name (for messages). */
  readonly dbName: string;
  get<T>(key: string): Promise<T | undefined>;
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]>;
  set(key: string, value: unknown): Promise<void>;
  /** All entries in one transaction: either all are written or none. */
  setMany(entries: ReadonlyArray<readonly [string, unknown]>): Promise<void>;
  /** Atomic read-modify-write of one key (one transaction). The updater must be synchronous. */
  update<T>(key: string, updater: (old: T | undefined) => T): Promise<void>;
  /**
   * Atomic read-modify-write of several keys (ONE readwrite transaction, so another tab or the
   * worker cannot write in between): `updater` gets the current values of `keys` (in order) and
   * returns the entries to write (any keys). Synchronous; throwing writes nothing. Optional so a
   * hand-made Kv (tests) may leave it out: callers then fall back to getMany + setMany.
   */
  updateMany?(
    keys: readonly string[],
    updater: (old: unknown[]) => ReadonlyArray<readonly [string, unknown]>,
  ): Promise<void>;
  del(key: string): Promise<void>;
  delMany(keys: readonly string[]): Promise<void>;
  /** Keys starting with `prefix`, ascending; loads keys only, never values. */
  keys(prefix: string, page?: KeyPage): Promise<string[]>;
}

/** The name of the single object store in every studio database. */
export const OBJECT_STORE = 'kv';

/** Highest BMP code unit: upper bound for a prefix range. Keys never contain it (segments are encoded). */
const PREFIX_END = '\uffff';

/** A `Kv` over an idb-keyval store. */
export function idbKv(dbName: string, store: UseStore = createStore(dbName, OBJECT_STORE)): Kv {
  return {
    dbName,
    get: <T>(key: string) => get<T>(key, store),
    getMany: <T>(keys: readonly string[]) => getMany<T>([...keys], store),
    set: (key, value) => set(key, value, store),
    setMany: (entries) =>
      setMany(
        entries.map(([k, v]) => [k, v]),
        store,
      ),
    update: <T>(key: string, updater: (old: T | undefined) => T) => update<T>(key, updater, store),
    updateMany: (keys, updater) =>
      store(
        'readwrite',
        (os) =>
          new Promise<void>((resolve, reject) => {
            const old: unknown[] = new Array(keys.length);
            let left = keys.length;
            const write = () => {
              try {
                for (const [k, v] of updater(old)) os.put(v, k);
                resolve(promisifyRequest(os.transaction));
              } catch (e) {
                os.transaction.abort();
                reject(e);
              }
            };
            if (left === 0) write();
            keys.forEach((k, i) => {
              const r = os.get(k);
              r.onsuccess = () => {
                old[i] = r.result;
                if (--left === 0) write();
              };
              r.onerror = () => reject(r.error);
            });
          }),
      ),
    del: (key) => del(key, store),
    delMany: (keys) => delMany([...keys], store),
    keys: (prefix, page = {}) =>
      store('readonly', (os) => {
        const after = page.after;
        const range =
          after !== undefined && after >= prefix
            ? IDBKeyRange.bound(after, prefix + PREFIX_END, true, false)
            : IDBKeyRange.bound(prefix, prefix + PREFIX_END, false, false);
        return promisifyRequest(os.getAllKeys(range, page.limit)) as Promise<string[]>;
      }),
  };
}

/** Encode one user-supplied key segment (names may contain `/` or anything else). */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

/** Inverse of `seg`. */
export function unseg(s: string): string {
  return decodeURIComponent(s);
}

const ID_RE = /^[A-Za-z0-9_.-]{1,128}$/;

/** Ids (dataset, case, run, version) go into keys unencoded, so they are restricted to a safe alphabet. */
export function assertId(id: string, what: string): void {
  if (!ID_RE.test(id)) {
    throw new Error(`${what} id "${id}" is not valid: use 1-128 letters, digits, "_", "." or "-"`);
  }
}

/** Every key under a prefix, read in pages of keys (values are never loaded). */
export async function keysUnder(kv: Kv, prefix: string, pageSize = 1000): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await kv.keys(prefix, { after, limit: pageSize });
    out.push(...page);
    if (page.length < pageSize) return out;
    after = page[page.length - 1];
  }
}

/** Delete every key under a prefix, one page (one transaction) at a time. Returns the number deleted. */
export async function deleteUnder(kv: Kv, prefix: string, pageSize = 500): Promise<number> {
  let n = 0;
  for (;;) {
    const page = await kv.keys(prefix, { limit: pageSize });
    if (page.length === 0) return n;
    await kv.delMany(page);
    n += page.length;
  }
}

/** Split an array into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const NO_CHANGE = Symbol('no change');

/**
 * `update()` that writes only when `fn` returns a value (undefined = leave the key as it is, even
 * absent). Returns whether it wrote.
 */
export async function updateIf<T>(
  kv: Kv,
  key: string,
  fn: (old: T | undefined) => T | undefined,
): Promise<boolean> {
  let wrote = false;
  try {
    await kv.update<T>(key, (old) => {
      const v = fn(old);
      if (v === undefined) throw NO_CHANGE;
      wrote = true;
      return v;
    });
  } catch (e) {
    if (e !== NO_CHANGE) throw e;
  }
  return wrote;
}
