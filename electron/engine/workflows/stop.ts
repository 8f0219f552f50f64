/**
 * Stopping part of a workflow run: a Stop covers a run (cancel, timeout) or
 * one parallel group (failFast) and everything under it. Processes and
 * waits register with the innermost Stop; stopping one stops them all.
 * Slots bound how many task processes of a run execute at once.
 */
import type { Clock } from '../clock';

export class Stop {
  reason: string | null = null;
  private readonly children = new Set<Stop>();
  private readonly hooks = new Set<(reason: string) => void>();

  constructor(private readonly parent: Stop | null = null) {
    parent?.children.add(this);
  }

  /** A Stop for a group below this one. */
  child(): Stop {
    const c = new Stop(this);
    if (this.reason) c.reason = this.reason;
    return c;
  }

  /** Releases a group's Stop once the group is over. */
  close(): void {
    this.parent?.children.delete(this);
  }

  /** Calls fn when this (or an enclosing) Stop fires; returns the unregistration. */
  on(fn: (reason: string) => void): () => void {
    this.hooks.add(fn);
    return () => this.hooks.delete(fn);
  }

  fire(reason: string): void {
    // Iterative: a tree is at most a few hundred groups deep in total, but no recursion is needed.
    const stack: Stop[] = [this];
    while (stack.length) {
      const s = stack.pop()!;
      if (s.reason) continue;
      s.reason = reason;
      for (const fn of [...s.hooks]) fn(reason);
      s.hooks.clear();
      for (const c of s.children) stack.push(c);
    }
  }

  /** Waits ms (retry delays); resolves early, with false, when stopped. */
  sleep(clock: Clock, ms: number): Promise<boolean> {
    if (this.reason) return Promise.resolve(false);
    return new Promise((resolve) => {
      const off = this.on(() => {
        clock.clearTimeout(timer);
        resolve(false);
      });
      const timer = clock.setTimeout(() => {
        off();
        resolve(true);
      }, ms);
    });
  }
}

export class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Waits for a slot; false (and no slot) when stopped while waiting. */
  acquire(stop: Stop): Promise<boolean> {
    if (stop.reason) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const take = () => {
        off();
        resolve(true);
      };
      const off = stop.on(() => {
        const i = this.waiting.indexOf(take);
        if (i !== -1) this.waiting.splice(i, 1);
        resolve(false);
      });
      this.waiting.push(take);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
