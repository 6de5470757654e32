/**
 * A counting semaphore: at most `limit` holders at once. Waiters are served by priority (lower
 * number first), FIFO within a priority. The fetch layer gives a model's first requests (info,
 * config, index) a higher priority than its shard reads, so that every model of a zoo gets to its
 * shard list early and the shard reads of all models keep every slot busy until the end.
 */
export class Limiter {
  private active = 0;
  /** One FIFO per priority level, levels kept sorted ascending. */
  private readonly levels: { priority: number; queue: Array<() => void>; head: number }[] = [];
  private waiting = 0;
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  }

  async acquire(priority = 0): Promise<() => void> {
    if (this.active < this.limit && this.waiting === 0) {
      this.active++;
    } else {
      await new Promise<void>((resolve) => this.enqueue(priority, resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.dequeue();
      if (next) next();
      else this.active--;
    };
  }

  private enqueue(priority: number, resolve: () => void): void {
    let i = 0;
    while (i < this.levels.length && this.levels[i]!.priority < priority) i++;
    let level = this.levels[i];
    if (!level || level.priority !== priority) {
      level = { priority, queue: [], head: 0 };
      this.levels.splice(i, 0, level);
    }
    level.queue.push(resolve);
    this.waiting++;
  }

  private dequeue(): (() => void) | undefined {
    for (const level of this.levels) {
      if (level.head < level.queue.length) {
        const next = level.queue[level.head]!;
        level.queue[level.head++] = noop;
        if (level.head === level.queue.length) {
          level.queue.length = 0;
          level.head = 0;
        }
        this.waiting--;
        return next;
      }
    }
    return undefined;
  }

  async run<T>(fn: () => Promise<T>, priority = 0): Promise<T> {
    const release = await this.acquire(priority);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  get pending(): number {
    return this.waiting;
  }

  /** Holders right now. */
  get inFlight(): number {
    return this.active;
  }
}

const noop = (): void => undefined;

/** Map over items with at most `limit` concurrent calls, keeping order. Never rejects early: each slot settles. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let firstError: { e: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (e) {
        if (!firstError) firstError = { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError) throw (firstError as { e: unknown }).e;
  return out;
}
