/**
 * Runs async sections one at a time, in call order. Writes, rotations, fsyncs
 * and close all touch the same file handle, so they must never interleave.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
