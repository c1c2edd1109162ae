/**
 * The jobs the download worker runs (shared by `download.ts` and `download_worker.ts`).
 * @module
 */

/** A unit of work for the download worker. */
export type Job =
  | { op: "download"; url: string; dest: string; md5: string | null; quiet: boolean; stall_ms: number }
  | { op: "extract"; archive: string; dest: string; quiet: boolean };
