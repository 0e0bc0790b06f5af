import { defineSource } from '../../plugin.js';
import { eventFiltersParam } from './engine-query.js';
import { dockerEventsOptions } from './options.js';
import { DockerEventsSource } from './source.js';

/** `type: docker_events`: the daemon's `/events` stream, resumed exactly, with `gap` and `inventory` records. */
export const dockerEventsPlugin = defineSource({
  type: 'docker_events',
  alias: 'events',
  options: dockerEventsOptions,
  create: (name, options, once) => new DockerEventsSource(name, options, once),
  // A filter the engine cannot serve shows up in `check` rather than as a source stopping at run time.
  checkAgainst: (options, engine, name) => void eventFiltersParam(options.filters, engine, name),
});
