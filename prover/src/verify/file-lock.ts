import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";

/**
 * An exclusive lock file for the few milliseconds of a read, merge and rename: the mutation
 * report's (mutation-report.ts), which two runs (a determinism run beside a tests run) file
 * into. Without it, one's rename between the other's read and rename loses the other's
 * verdicts. It holds between processes on one host, and between hosts on a shared disk as
 * far as exclusive creation does there.
 *
 * The lock file names its holder: `pid host token`. A waiter takes it over when that holder
 * runs on this host and is gone, or when the file has not changed for `staleMs` of the
 * waiter's own watch (not by its mtime: another host's clock may differ). Taking over is
 * done under a second exclusive file (`<lock>.takeover`), with the lock read again there, so
 * two waiters that both found it stale do not remove each other's new lock. A holder that
 * paused past `staleMs` and was taken over learns it from `mine()` and removes only its own
 * lock.
 */

/** Whether a process `pid` runs (one of another user's counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A lock unchanged this long was left by a writer that died: a write takes milliseconds. */
export const LOCK_STALE_MS = 60_000;

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread `ms` milliseconds (the lock is taken synchronously, as the write is). */
const nap = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

/** What is at `file` now (inode, mtime, contents), or undefined if nothing is. */
function look(file: string): { key: string; text: string } | undefined {
  try {
    const st = fs.statSync(file);
    const text = fs.readFileSync(file, "utf8");
    return { key: `${st.ino}:${st.mtimeMs}:${text}`, text };
  } catch (e) {
    if (code(e) === "ENOENT") return undefined;
    // unreadable (another user's, say): judged by how long it stays as it is
    return { key: "unreadable", text: "" };
  }
}

/** Whether the holder a lock's text names runs on this host and is gone. */
function holderGone(text: string): boolean {
  const [pid, host] = text.split(" ");
  return host === os.hostname() && Number(pid) > 0 && !alive(Number(pid));
}

/** Creates `file` exclusively with `text`; false if it exists. Removes it if the write fails. */
function create(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx");
  } catch (e) {
    if (code(e) === "EEXIST") return false;
    throw e;
  }
  try {
    fs.writeSync(fd, text);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  return true;
}

/** Watches files for how long each has stayed exactly as it is. */
class Watch {
  private readonly seen = new Map<string, { key: string; since: number }>();
  /** How long, in ms, `file` has looked as it does now. */
  unchangedFor(file: string, key: string): number {
    const s = this.seen.get(file);
    if (s?.key === key) return Date.now() - s.since;
    this.seen.set(file, { key, since: Date.now() });
    return 0;
  }
}

/**
 * Runs `f` holding `lock`; `f` may ask `mine()` whether the lock is still its own before it
 * makes its change visible (it is not if this process paused past `staleMs` and another
 * took it over).
 */
export function withFileLock(
  lock: string,
  f: (mine: () => boolean) => void,
  staleMs = LOCK_STALE_MS,
): void {
  const text = `${process.pid} ${os.hostname()} ${randomUUID()}`;
  const watch = new Watch();
  while (!create(lock, text)) {
    const now = look(lock);
    if (!now) continue; // released meanwhile
    if (holderGone(now.text) || watch.unchangedFor(lock, now.key) > staleMs) {
      takeOver(lock, now.key, watch, staleMs);
      continue;
    }
    nap(10);
  }
  const mine = () => look(lock)?.text === text;
  try {
    f(mine);
  } finally {
    if (mine()) fs.rmSync(lock, { force: true });
  }
}

/** Removes `lock` if it is still what was judged stale (`key`), one waiter at a time. */
function takeOver(lock: string, key: string, watch: Watch, staleMs: number): void {
  const guard = `${lock}.takeover`;
  if (!create(guard, `${process.pid} ${os.hostname()}`)) {
    // another waiter is taking it over; its guard, left by a crash, goes the same way
    const g = look(guard);
    if (g && (holderGone(g.text) || watch.unchangedFor(guard, g.key) > staleMs))
      fs.rmSync(guard, { force: true });
    else nap(10);
    return;
  }
  try {
    if (look(lock)?.key === key) fs.rmSync(lock, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}
