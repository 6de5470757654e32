/**
 * A file-backed RangeReader that records every request, so tests can assert which files were
 * asked for and how many bytes were read.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { RangeReader } from "../../src/sources/types.js";

export interface RangeRequest {
  path: string;
  start: number;
  end: number;
  bytes: number;
}

/** Shared log of every request made through the readers created by one FileReaderFactory. */
export class FileReaderFactory {
  readonly log: RangeRequest[] = [];

  /** A reader over `absPath`, reporting `repoPath` as its path (defaults to absPath). */
  open(absPath: string, repoPath: string = absPath, opts: { sizeKnown?: boolean } = {}): CountingFileReader {
    return new CountingFileReader(absPath, repoPath, this.log, opts.sizeKnown ?? true);
  }

  get bytes(): number {
    return this.log.reduce((a, r) => a + r.bytes, 0);
  }

  get requests(): number {
    return this.log.length;
  }

  /** Distinct paths that were read. */
  paths(): string[] {
    return [...new Set(this.log.map((r) => r.path))].sort();
  }
}

export class CountingFileReader implements RangeReader {
  private known: number | null;
  private readonly total: number;

  constructor(
    private readonly absPath: string,
    readonly path: string,
    private readonly log: RangeRequest[],
    sizeKnown: boolean,
  ) {
    const fd = openSync(absPath, "r");
    try {
      this.total = fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
    this.known = sizeKnown ? this.total : null;
  }

  size(): number | null {
    return this.known;
  }

  async read(start: number, end: number): Promise<Uint8Array> {
    const last = Math.min(end, this.total);
    const len = Math.max(0, last - start);
    const buf = new Uint8Array(len);
    if (len > 0) {
      const fd = openSync(this.absPath, "r");
      try {
        let off = 0;
        while (off < len) {
          const n = readSync(fd, buf, off, len - off, start + off);
          if (n === 0) break;
          off += n;
        }
      } finally {
        closeSync(fd);
      }
    }
    this.known = this.total;
    this.log.push({ path: this.path, start, end, bytes: len });
    return buf;
  }
}

/** An in-memory RangeReader over a buffer (with the same request log). */
export class MemoryRangeReader implements RangeReader {
  readonly log: RangeRequest[] = [];
  constructor(
    private readonly data: Uint8Array,
    readonly path = "model.onnx",
  ) {}
  size(): number {
    return this.data.length;
  }
  async read(start: number, end: number): Promise<Uint8Array> {
    const out = this.data.slice(start, Math.min(end, this.data.length));
    this.log.push({ path: this.path, start, end, bytes: out.length });
    return out;
  }
  get bytes(): number {
    return this.log.reduce((a, r) => a + r.bytes, 0);
  }
}
