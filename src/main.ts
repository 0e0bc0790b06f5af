#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Agent } from './agent/agent.js';
import { BUILTIN_PLUGINS } from './builtin-plugins.js';
import { formatCheckLine, runCheck } from './commands/check.js';
import { runOnce } from './commands/once.js';
import { effectiveConfigYaml } from './config/effective.js';
import { ConfigError, formatProblem } from './config/load.js';
import { configName, describeConfigSource, loadLocatedConfig, loadLocatedConfigInput, locateConfig, type ConfigSource } from './config/locate.js';
import { LOCAL_DAEMON, type Config } from './config/schema.js';
import { daemonConnection } from './agent/components.js';
import { daemonsInUse } from './agent/daemons.js';
import type { ConnectionSpec } from './docker/host.js';
import { chooseStateDir } from './state-dir.js';
import { describeError, DsError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { createLogger } from './log.js';
import { parseDuration } from './util/units.js';
import { VERSION } from './version.js';

const ONCE_ALIASES = BUILTIN_PLUGINS.sources.map((p) => p.alias);

const USAGE = `usage: dockstream [command] [options]

commands:
  run      run the agent (default)              [-c FILE] [-H HOST] [-D]
  check    validate config, reach daemon+sinks  [-c FILE] [-H HOST]
  once     one collection round as NDJSON       [-c FILE] [-H HOST] [--source ${ONCE_ALIASES.join('|')}] [--since DURATION]
  config   print the effective config as YAML   [-c FILE]   (after \${VAR} and defaults, secrets redacted)
  version  print the version

options:
  -c, --config FILE   config file; default: $DOCKSTREAM_CONFIG, else /etc/dockstream/config.yaml,
                      else ./config.yaml, else the built-in default (the shipped config.yaml)
  -H, --host HOST     docker daemon address (unix:///path, tcp://host:port); default: config docker.host,
                      DOCKER_HOST, DOCKER_CONTEXT, the current docker context, then the local docker,
                      rootless docker and Podman sockets
  -D, --debug         debug logs (each daemon request)
      --source NAME   with once: ${ONCE_ALIASES.join(', ')} (default: every configured source)
      --since DUR     with once --source events: how far back (e.g. 10m); default: all the daemon holds
`;

function fail(message: string, code: number): never {
  process.stderr.write(`dockstream: ${message}\n`);
  process.exit(code);
}

function load(source: ConfigSource): Config {
  try {
    return loadLocatedConfig(source, BUILTIN_PLUGINS);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(EXIT.CONFIG);
    }
    if (err instanceof DsError) fail(err.message, EXIT.CONFIG);
    throw err;
  }
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * The address of every daemon a source reads, by name, or one line and exit
 * 78 when one cannot be used (ssh://, npipe://, a missing context).
 */
function daemonAddresses(config: Config, cliHost: string | undefined): Map<string, ConnectionSpec> {
  const out = new Map<string, ConnectionSpec>();
  for (const name of daemonsInUse(config)) {
    try {
      out.set(name, daemonConnection(config, name, cliHost));
    } catch (err) {
      if (err instanceof DsError && err.code === 'DOCKER_BAD_HOST') fail(name === LOCAL_DAEMON ? err.message : `daemons.${name}: ${err.message}`, EXIT.CONFIG);
      throw err;
    }
  }
  return out;
}

/** For the start log: `docker` (the local daemon's address and where it came from), `daemons` for the others. */
function describeAddresses(addresses: ReadonlyMap<string, ConnectionSpec>): Record<string, unknown> {
  const line = (c: ConnectionSpec) => `${c.display} (${c.source})`;
  const local = addresses.get(LOCAL_DAEMON);
  const others = [...addresses].filter(([name]) => name !== LOCAL_DAEMON);
  return {
    ...(local ? { docker: line(local) } : {}),
    ...(others.length > 0 ? { daemons: Object.fromEntries(others.map(([name, c]) => [name, line(c)])) } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string', short: 'H' },
        debug: { type: 'boolean', short: 'D', default: false },
        source: { type: 'string' },
        since: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    fail(`${describeError(err)}\n\n${USAGE}`, EXIT.USAGE);
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'run';
  if (values.help || command === 'help') {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (values.version || command === 'version') {
    process.stdout.write(`dockstream ${VERSION} (node ${process.version})\n`);
    return EXIT.OK;
  }
  if (positionals.length > 1) fail(`unexpected argument: ${positionals[1]}\n\n${USAGE}`, EXIT.USAGE);
  const source = locateConfig(values.config, process.env);

  switch (command) {
    case 'run': {
      const loaded = load(source);
      const log = createLogger(values.debug ? 'debug' : loaded.log_level);
      const addresses = daemonAddresses(loaded, values.host);
      const config: Config = { ...loaded, state_dir: chooseStateDir(loaded.state_dir, process.env, log) };
      const agent = new Agent(config, log, { plugins: BUILTIN_PLUGINS, dockerHost: values.host, connections: addresses });
      const onSignal = (sig: NodeJS.Signals): void => {
        log.info({ signal: sig }, 'signal received');
        void agent.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      // Reload: an invalid new config keeps the running one.
      process.on('SIGHUP', () => {
        log.info({ config: configName(source) }, 'SIGHUP received; reloading configuration');
        let next: Config;
        try {
          next = loadLocatedConfig(source, BUILTIN_PLUGINS);
        } catch (err) {
          const problems = err instanceof ConfigError ? err.problems.map((p) => formatProblem(configName(source), p)) : [describeError(err)];
          log.error({ problems }, 'new configuration is invalid; keeping the running one');
          return;
        }
        void agent.reload(next);
      });
      log.info(
        {
          version: VERSION,
          node: process.version,
          config: describeConfigSource(source),
          ...describeAddresses(addresses),
          state_dir: config.state_dir,
          sources: Object.keys(config.sources),
          sinks: Object.keys(config.sinks),
        },
        'starting',
      );
      await agent.run();
      return EXIT.OK;
    }
    case 'check': {
      const config = load(source);
      const log = createLogger(values.debug ? 'debug' : 'warn');
      process.stdout.write(`ok    config                 ${describeConfigSource(source)}\n`);
      const addresses = daemonAddresses(config, values.host);
      const lines = await runCheck(config, BUILTIN_PLUGINS, log, values.host, { connections: addresses });
      for (const line of lines) process.stdout.write(formatCheckLine(line) + '\n');
      if (lines.some((l) => !l.ok && l.configProblem)) return EXIT.CONFIG;
      return lines.every((l) => l.ok) ? EXIT.OK : EXIT.UNAVAILABLE;
    }
    case 'config': {
      let input: unknown;
      try {
        input = loadLocatedConfigInput(source, BUILTIN_PLUGINS).input;
      } catch {
        load(source); // the same messages and exit code as the other commands
      }
      await write(effectiveConfigYaml(input, describeConfigSource(source), BUILTIN_PLUGINS));
      return EXIT.OK;
    }
    case 'once': {
      const config = load(source);
      const log = createLogger(values.debug ? 'debug' : 'warn');
      const addresses = daemonAddresses(config, values.host);
      if (values.source !== undefined && !ONCE_ALIASES.includes(values.source)) fail(`--source must be one of ${ONCE_ALIASES.join(', ')}`, EXIT.USAGE);
      let sinceMs: number | undefined;
      if (values.since !== undefined) {
        const ms = parseDuration(values.since);
        if (ms === null) fail(`--since: not a duration: ${values.since} (e.g. 10m)`, EXIT.USAGE);
        sinceMs = ms;
      }
      try {
        await runOnce(
          config,
          BUILTIN_PLUGINS,
          log,
          {
            ...(values.source ? { source: values.source } : {}),
            ...(sinceMs !== undefined ? { sinceMs } : {}),
            ...(values.host ? { dockerHost: values.host } : {}),
            connections: addresses,
          },
          write,
        );
      } catch (err) {
        if (err instanceof DsError && (err.code === 'DOCKER_UNREACHABLE' || err.code === 'DOCKER_TIMEOUT')) fail(describeError(err), EXIT.UNAVAILABLE);
        throw err;
      }
      return EXIT.OK;
    }
    default:
      fail(`unknown command: ${command}\n\n${USAGE}`, EXIT.USAGE);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // One line: the message with its causes, then the error's stable code (README "Exit codes").
    const code = err instanceof DsError ? err.code : undefined;
    process.stderr.write(`dockstream: ${describeError(err)}${code === undefined ? '' : ` [${code}]`}\n`);
    process.exitCode = code === 'CONFIG_INVALID' ? EXIT.CONFIG : code === 'STATE_DIR' ? EXIT.CANTCREAT : code === 'USAGE' ? EXIT.USAGE : EXIT.SOFTWARE;
  },
);
