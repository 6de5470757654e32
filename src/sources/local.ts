/**
 * `local:PATH` models: a directory laid out like a Hub repo (config.json, *.safetensors, index,
 * onnx/, *.gguf). Gives the same fingerprint as the Hub source from files on disk.
 */
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { HubError, StandinError } from "../util/errors.js";
import { DEFAULT_MAX_FILE_BYTES } from "./hub.js";
import { readSafetensorsHeaderBytes, type RangeGet } from "./st-header.js";
import type { HeaderReadOptions, ModelSource, RangeReader, ReadFileOptions, RepoFile, ResolvedModel, SafetensorsHeaderBytes } from "./types.js";

const SKIP_DIRS = new Set([".git", "node_modules", ".cache", "__pycache__"]);
const MAX_FILES = 20_000;
const MAX_DEPTH = 6;

export class LocalSource implements ModelSource {
  private resolved: ResolvedModel | null = null;
  private requests = 0;
  private bytes = 0;

  constructor(
    readonly model: string,
    readonly dir: string,
  ) {}

  stats(): { requests: number; bytes: number } {
    return { requests: this.requests, bytes: this.bytes };
  }

  async resolve(): Promise<ResolvedModel> {
    if (this.resolved) return this.resolved;
    let st;
    try {
      st = await stat(this.dir);
    } catch {
      throw new HubError("repo_not_found", `local directory ${this.dir} does not exist`, {
        model: this.model,
        hint: "local: paths are relative to the manifest's directory",
      });
    }
    if (!st.isDirectory()) {
      throw new HubError("repo_not_found", `${this.dir} is not a directory`, { model: this.model });
    }
    const files: RepoFile[] = [];
    const walk = async (rel: string, depth: number): Promise<void> => {
      if (depth > MAX_DEPTH || files.length >= MAX_FILES) return;
      const entries = await readdir(path.join(this.dir, rel), { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) await walk(p, depth + 1);
        } else if (e.isFile()) {
          const s = await stat(path.join(this.dir, p));
          files.push({ path: p, size: s.size });
        }
      }
    };
    await walk("", 0);
    this.resolved = { kind: "local", repo: this.dir, revision: null, sha: null, files };
    return this.resolved;
  }

  private abs(p: string): string {
    const full = path.resolve(this.dir, p);
    const rel = path.relative(this.dir, full);
    if (rel.startsWith("..") || path.isAbsolute(rel)) {
      throw new StandinError("unsafe_path", `refusing to read ${p}: it points outside the model directory`, { model: this.model, file: p });
    }
    return full;
  }

  async readFile(p: string, opts: ReadFileOptions = {}): Promise<Uint8Array> {
    const full = this.abs(p);
    const max = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
    let size: number;
    try {
      size = (await stat(full)).size;
    } catch {
      throw new HubError("entry_not_found", "file not found", { model: this.model, file: p });
    }
    if (size > max) {
      throw new HubError("too_large", `the file is ${size} bytes, more than the ${max} allowed`, { model: this.model, file: p });
    }
    const fh = await open(full, "r");
    try {
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      this.requests++;
      this.bytes += bytesRead;
      return new Uint8Array(buf.buffer, buf.byteOffset, bytesRead);
    } finally {
      await fh.close();
    }
  }

  private rangeGet(p: string): RangeGet {
    const full = this.abs(p);
    return async (start, end) => {
      const fh = await open(full, "r").catch(() => {
        throw new HubError("entry_not_found", "file not found", { model: this.model, file: p });
      });
      try {
        const size = (await fh.stat()).size;
        const last = Math.min(end, size - 1);
        const len = Math.max(0, last - start + 1);
        const buf = Buffer.alloc(len);
        const { bytesRead } = len > 0 ? await fh.read(buf, 0, len, start) : { bytesRead: 0 };
        this.requests++;
        this.bytes += bytesRead;
        return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, bytesRead), total: size };
      } finally {
        await fh.close();
      }
    };
  }

  rangeReader(p: string, knownSize: number | null = null): RangeReader {
    const get = this.rangeGet(p);
    let size = knownSize ?? this.resolved?.files.find((f) => f.path === p)?.size ?? null;
    return {
      path: p,
      size: () => size,
      read: async (start: number, end: number) => {
        if (end <= start) return new Uint8Array();
        const r = await get(start, end - 1);
        size = r.total;
        return r.bytes;
      },
    };
  }

  ggufLocation(p: string): { url: string } {
    return { url: this.abs(p) };
  }

  async readSafetensorsHeader(p: string, opts: HeaderReadOptions): Promise<SafetensorsHeaderBytes> {
    const known = this.resolved?.files.find((f) => f.path === p)?.size ?? null;
    return readSafetensorsHeaderBytes(this.rangeGet(p), {
      model: this.model,
      file: p,
      expectedHeaderBytes: opts.expectedHeaderBytes,
      maxHeaderBytes: opts.maxHeaderBytes,
      knownSize: known,
    });
  }
}
