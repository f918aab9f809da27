/**
 * One lock: tasks run one at a time in the order they asked (follow steps and
 * attestations of a replica share the replayed state).
 */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
