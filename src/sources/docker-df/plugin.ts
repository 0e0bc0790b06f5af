import { defineSource } from '../../plugin.js';
import { dockerDfOptions } from './options.js';
import { DOCKER_DF_TYPE, DockerDfSource } from './source.js';

/** `type: docker_df`: `system df` disk usage with reclaimable bytes, thresholds and alerts. */
export const dockerDfPlugin = defineSource({
  type: DOCKER_DF_TYPE,
  alias: 'df',
  options: dockerDfOptions,
  create: (name, options, once) => new DockerDfSource(name, options, once !== undefined),
});
