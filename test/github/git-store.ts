/**
 * An in-memory git object database for the local GitHub server: blobs, trees and commits hashed
 * exactly as git hashes them (SHA-1 over "<type> <size>\0<payload>", binary tree entries sorted in
 * git order, commit headers with unix timestamps), so every sha the server hands out is a real git
 * sha for its content. Refs are full names ("refs/heads/main").
 */
import { createHash } from "node:crypto";

export type TreeMode = "100644" | "100755" | "040000" | "160000" | "120000";
export type TreeEntryType = "blob" | "tree" | "commit";

export interface TreeEntry {
  name: string;
  mode: TreeMode;
  type: TreeEntryType;
  sha: string;
}

export interface GitSignature {
  name: string;
  email: string;
  /** ISO 8601 */
  date: string;
}

export interface BlobObject {
  type: "blob";
  sha: string;
  data: Buffer;
}
export interface TreeObject {
  type: "tree";
  sha: string;
  entries: TreeEntry[];
}
export interface CommitObject {
  type: "commit";
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: GitSignature;
  committer: GitSignature;
}
export type GitObject = BlobObject | TreeObject | CommitObject;

/** A change for {@link GitStore.applyTreeChanges}: a nested path; `sha: null` deletes it. */
export interface TreeChange {
  path: string;
  mode: TreeMode;
  type: TreeEntryType;
  sha: string | null;
}

export interface FlatEntry {
  path: string;
  mode: TreeMode;
  type: TreeEntryType;
  sha: string;
  size?: number;
}

export const EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

function hashObject(type: string, payload: Buffer): string {
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`${type} ${payload.length}\0`), payload]))
    .digest("hex");
}

function gitTime(date: string): string {
  const ms = Date.parse(date);
  return `${Math.floor((Number.isNaN(ms) ? 0 : ms) / 1000)} +0000`;
}

/** git's tree order: byte order of names, with directories compared as "name/". */
function treeOrder(a: TreeEntry, b: TreeEntry): number {
  const ka = Buffer.from(a.type === "tree" ? `${a.name}/` : a.name);
  const kb = Buffer.from(b.type === "tree" ? `${b.name}/` : b.name);
  return Buffer.compare(ka, kb);
}

export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}

export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitError";
  }
}

export class GitStore {
  readonly objects = new Map<string, GitObject>();
  readonly refs = new Map<string, string>();

  /** A copy sharing no mutable state (used for forks). */
  clone(): GitStore {
    const copy = new GitStore();
    for (const [k, v] of this.objects) copy.objects.set(k, v);
    for (const [k, v] of this.refs) copy.refs.set(k, v);
    return copy;
  }

  get empty(): boolean {
    return this.refs.size === 0;
  }

  // -------------------------------------------------------------------------------------------
  // writing objects

  writeBlob(data: Buffer | string): string {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const sha = hashObject("blob", buf);
    if (!this.objects.has(sha)) this.objects.set(sha, { type: "blob", sha, data: buf });
    return sha;
  }

  writeTree(entries: TreeEntry[]): string {
    const sorted = [...entries].sort(treeOrder);
    const names = new Set<string>();
    for (const e of sorted) {
      if (names.has(e.name)) throw new GitError(`duplicate tree entry ${e.name}`);
      names.add(e.name);
    }
    const payload = Buffer.concat(
      sorted.flatMap((e) => [Buffer.from(`${e.mode === "040000" ? "40000" : e.mode} ${e.name}\0`), Buffer.from(e.sha, "hex")]),
    );
    const sha = hashObject("tree", payload);
    if (!this.objects.has(sha)) this.objects.set(sha, { type: "tree", sha, entries: sorted });
    return sha;
  }

  writeCommit(init: { tree: string; parents: string[]; message: string; author: GitSignature; committer?: GitSignature }): string {
    const committer = init.committer ?? init.author;
    const lines = [
      `tree ${init.tree}`,
      ...init.parents.map((p) => `parent ${p}`),
      `author ${init.author.name} <${init.author.email}> ${gitTime(init.author.date)}`,
      `committer ${committer.name} <${committer.email}> ${gitTime(committer.date)}`,
      "",
      init.message,
    ];
    const sha = hashObject("commit", Buffer.from(lines.join("\n"), "utf8"));
    if (!this.objects.has(sha)) {
      this.objects.set(sha, { type: "commit", sha, tree: init.tree, parents: [...init.parents], message: init.message, author: init.author, committer });
    }
    return sha;
  }

  // -------------------------------------------------------------------------------------------
  // reading objects

  get(sha: string): GitObject | undefined {
    return this.objects.get(sha);
  }

  blob(sha: string): BlobObject | undefined {
    const o = this.objects.get(sha);
    return o?.type === "blob" ? o : undefined;
  }

  tree(sha: string): TreeObject | undefined {
    if (sha === EMPTY_TREE_SHA && !this.objects.has(sha)) this.writeTree([]);
    const o = this.objects.get(sha);
    return o?.type === "tree" ? o : undefined;
  }

  commit(sha: string): CommitObject | undefined {
    const o = this.objects.get(sha);
    return o?.type === "commit" ? o : undefined;
  }

  /**
   * A commit sha for a commit sha, "refs/heads/x", "heads/x", "tags/x", or a bare branch/tag name
   * (null when nothing matches).
   */
  resolve(refish: string): string | null {
    if (isSha(refish) && this.commit(refish)) return refish;
    const candidates = refish.startsWith("refs/") ? [refish] : [`refs/${refish}`, `refs/heads/${refish}`, `refs/tags/${refish}`];
    for (const c of candidates) {
      const sha = this.refs.get(c);
      if (sha) return sha;
    }
    return null;
  }

  /** Entry at a nested path of a tree (directories come back with type "tree"). */
  lookup(treeSha: string, path: string): TreeEntry | null {
    const parts = path.split("/").filter((p) => p !== "");
    if (parts.length === 0) return { name: "", mode: "040000", type: "tree", sha: treeSha };
    let tree = this.tree(treeSha);
    let entry: TreeEntry | null = null;
    for (const [i, part] of parts.entries()) {
      if (!tree) return null;
      entry = tree.entries.find((e) => e.name === part) ?? null;
      if (!entry) return null;
      if (i < parts.length - 1) tree = entry.type === "tree" ? this.tree(entry.sha) : undefined;
    }
    return entry;
  }

  /** Entries of a tree, optionally recursive (paths are relative to the tree). */
  list(treeSha: string, recursive: boolean, prefix = ""): FlatEntry[] {
    const tree = this.tree(treeSha);
    if (!tree) return [];
    const out: FlatEntry[] = [];
    for (const e of tree.entries) {
      const path = prefix + e.name;
      const size = e.type === "blob" ? this.blob(e.sha)?.data.length : undefined;
      out.push({ path, mode: e.mode, type: e.type, sha: e.sha, ...(size !== undefined ? { size } : {}) });
      if (recursive && e.type === "tree") out.push(...this.list(e.sha, true, `${path}/`));
    }
    return out;
  }

  /** path -> blob/commit entry for every non-tree entry below a tree. */
  flatten(treeSha: string): Map<string, FlatEntry> {
    return new Map(this.list(treeSha, true).filter((e) => e.type !== "tree").map((e) => [e.path, e]));
  }

  /** A new tree: `baseTree` (or nothing) with nested-path changes applied. */
  applyTreeChanges(baseTree: string | null, changes: TreeChange[]): string {
    interface Dir {
      files: Map<string, TreeEntry>;
      dirs: Map<string, Dir>;
    }
    const load = (sha: string | null): Dir => {
      const dir: Dir = { files: new Map(), dirs: new Map() };
      const tree = sha ? this.tree(sha) : undefined;
      for (const e of tree?.entries ?? []) {
        if (e.type === "tree") dir.dirs.set(e.name, load(e.sha));
        else dir.files.set(e.name, e);
      }
      return dir;
    };
    const root = load(baseTree);
    for (const change of changes) {
      const parts = change.path.split("/").filter((p) => p !== "");
      const name = parts.pop();
      if (name === undefined) throw new GitError(`invalid tree path "${change.path}"`);
      let dir: Dir | undefined = root;
      for (const p of parts) {
        let next: Dir | undefined = dir.dirs.get(p);
        if (!next) {
          if (change.sha === null) {
            dir = undefined; // deleting below a directory that does not exist: nothing to do
            break;
          }
          next = { files: new Map(), dirs: new Map() };
          dir.dirs.set(p, next);
          dir.files.delete(p);
        }
        dir = next;
      }
      if (!dir) continue;
      if (change.sha === null) {
        dir.files.delete(name);
        dir.dirs.delete(name);
      } else if (change.type === "tree") {
        dir.files.delete(name);
        dir.dirs.set(name, load(change.sha));
      } else {
        dir.dirs.delete(name);
        dir.files.set(name, { name, mode: change.mode, type: change.type, sha: change.sha });
      }
    }
    const write = (dir: Dir): string | null => {
      const entries: TreeEntry[] = [...dir.files.values()];
      for (const [name, sub] of dir.dirs) {
        const sha = write(sub);
        if (sha) entries.push({ name, mode: "040000", type: "tree", sha });
      }
      return entries.length === 0 && dir !== root ? null : this.writeTree(entries);
    };
    return write(root) ?? this.writeTree([]);
  }

  /** Whether `ancestor` is reachable from `descendant` through parents (a commit is its own ancestor). */
  isAncestor(ancestor: string, descendant: string): boolean {
    const seen = new Set<string>();
    const queue = [descendant];
    while (queue.length > 0) {
      const sha = queue.shift() ?? "";
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      queue.push(...(this.commit(sha)?.parents ?? []));
    }
    return false;
  }

  /** Commit `files` (path -> content, null deletes) on top of `branch` (created when missing). */
  commitFiles(branch: string, files: Record<string, string | Buffer | null>, message: string, author: GitSignature, committer?: GitSignature): string {
    const ref = branch.startsWith("refs/") ? branch : `refs/heads/${branch}`;
    const parent = this.refs.get(ref) ?? null;
    const baseTree = parent ? (this.commit(parent)?.tree ?? null) : null;
    const changes: TreeChange[] = Object.entries(files).map(([path, content]) => ({
      path,
      mode: "100644",
      type: "blob",
      sha: content === null ? null : this.writeBlob(content),
    }));
    const tree = this.applyTreeChanges(baseTree, changes);
    const sha = this.writeCommit({ tree, parents: parent ? [parent] : [], message, author, ...(committer ? { committer } : {}) });
    this.refs.set(ref, sha);
    return sha;
  }

  /** Content of `path` at a ref/sha, or null. */
  readFile(refish: string, path: string): Buffer | null {
    const commit = this.resolve(refish);
    const tree = commit ? this.commit(commit)?.tree : undefined;
    const entry = tree ? this.lookup(tree, path) : null;
    return entry?.type === "blob" ? (this.blob(entry.sha)?.data ?? null) : null;
  }
}
