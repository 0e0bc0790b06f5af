import type { SourcePlugin } from '../pipeline/types.js';
import { dockerEventsPlugin } from './docker-events/plugin.js';
import { dockerDfPlugin } from './docker-df/plugin.js';
import { dockerStatsPlugin } from './docker-stats/plugin.js';

/** Every source type the config can name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SOURCE_PLUGINS: readonly SourcePlugin<any>[] = [
  dockerEventsPlugin,
  dockerDfPlugin,
  dockerStatsPlugin,
];
