import { defineSource } from '../../plugin.js';
import { dockerStatsOptions } from './options.js';
import { DockerStatsSource } from './source.js';

/** `type: docker_stats`: one sample per running container per interval, with `docker stats`'s numbers. */
export const dockerStatsPlugin = defineSource({
  type: 'docker_stats',
  alias: 'stats',
  options: dockerStatsOptions,
  create: (name, options, once) => new DockerStatsSource(name, options, once),
});
