/**
 * Alert state across restarts: `<state_dir>/alerts/<source>.json`, written
 * atomically (like the events cursor) whenever a rule changes phase. Without
 * it, a restart would fire a still-true alert again and never resolve one
 * that cleared while the agent was down.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DsError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { STATE_DIR_MODE, writeFileAtomic } from '../../util/atomic-write.js';
import type { AlertEvaluator } from './alerts.js';

export class AlertStateFile {
  private readonly path: string;
  private saved = '';
  private writing: Promise<void> = Promise.resolve();

  constructor(
    stateDir: string,
    source: string,
    private readonly log: Logger,
  ) {
    this.path = join(stateDir, 'alerts', `${source}.json`);
  }

  /** Restores `evaluator` from the file, if there is one (an unreadable file is logged and ignored). */
  load(evaluator: AlertEvaluator): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ path: this.path, err }, 'alert state unreadable; starting without it');
      return;
    }
    try {
      evaluator.restore(JSON.parse(text));
      this.saved = JSON.stringify(evaluator.snapshot());
    } catch (cause) {
      const err = new DsError('STATE_CORRUPT', `alert state file ${this.path} is not alert state`, { cause, details: { path: this.path } });
      this.log.warn({ path: this.path, err }, 'alert state unreadable; starting without it');
    }
  }

  /** Persists the evaluator's state when it changed since the last write. */
  save(evaluator: AlertEvaluator): Promise<void> {
    const text = JSON.stringify(evaluator.snapshot());
    if (text === this.saved) return this.writing;
    this.saved = text;
    this.writing = this.writing.then(async () => {
      try {
        mkdirSync(join(this.path, '..'), { recursive: true, mode: STATE_DIR_MODE });
        await writeFileAtomic(this.path, text + '\n');
      } catch (err) {
        this.saved = '';
        this.log.warn({ path: this.path, err }, 'alert state not saved');
      }
    });
    return this.writing;
  }
}
