import { defineSource } from '../../plugin.js';
import { dockerContainersOptions } from './options.js';
import { DockerContainersSource } from './source.js';

/** `type: docker_containers`: `container_state` records when a container's state, health, restarts or OOM kills change. */
export const dockerContainersPlugin = defineSource({
  type: 'docker_containers',
  alias: 'containers',
  options: dockerContainersOptions,
  create: (name, options, once) => new DockerContainersSource(name, options, once !== undefined),
});
