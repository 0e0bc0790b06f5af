import type { SourcePlugin } from '../../pipeline/types.js';
import { dockerDfOptions, type DockerDfOptions } from './options.js';
import { DOCKER_DF_TYPE, DockerDfSource } from './source.js';

// Prune accounting lives with the events it comes from; re-exported for df users.
export { reclaimedBytes } from '../docker-events/normalize.js';

/** `type: docker_df`: `system df` disk usage with reclaimable bytes, thresholds and alerts. */
export const dockerDfPlugin: SourcePlugin<DockerDfOptions> = {
  type: DOCKER_DF_TYPE,
  options: dockerDfOptions,
  create: (name, options, once) => new DockerDfSource(name, options, once !== undefined),
};
