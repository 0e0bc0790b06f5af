/**
 * The Kafka sink: one producer, each produce request resolved only when the
 * brokers acknowledged it (per `acks`). It talks to the client through
 * `port.ts` only; the plugin passes the KafkaJS adapter.
 */
import { DsError, SinkError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Sink, SinkContext } from '../../pipeline/types.js';
import type { DsRecord, RecordKind } from '../../records.js';
import type { SelfMetrics } from '../../telemetry/metrics.js';
import { toSinkError } from './errors.js';
import { oversizeReason, planRequests, toMessage, topicResolver, type MappedMessage } from './mapping.js';
import type { KafkaOptions } from './options.js';
import type { KafkaClient, KafkaClientFactory, KafkaProducer } from './port.js';
import { abortable, abortError } from '../../util/abortable.js';

export class KafkaSink implements Sink {
  readonly type = 'kafka';
  private client: KafkaClient | undefined;
  private readonly log: Logger;
  private readonly metrics: SelfMetrics;
  private readonly topicFor: (kind: RecordKind) => string;
  /**
   * Messages built by reject(), reused by send() and its retries: the pipeline
   * screens a batch right before sending it, and serializing twice cost 10-15%
   * of the sink's CPU. Weak: entries go with the records once delivered.
   */
  private readonly mapped = new WeakMap<DsRecord, MappedMessage>();
  /** Per batch being retried: how many of its produce requests the brokers already acknowledged. */
  private readonly acknowledgedRequests = new WeakMap<readonly DsRecord[], number>();
  private connecting: Promise<KafkaProducer> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly options: KafkaOptions,
    ctx: SinkContext,
    private readonly createClient: KafkaClientFactory,
  ) {
    this.log = ctx.log.child({ sink: name });
    this.metrics = ctx.metrics;
    this.topicFor = topicResolver(options);
  }

  /** The client, built at the first start, check or send (for KafkaJS: where its internals are replaced). */
  private kafka(): KafkaClient {
    this.client ??= this.createClient(this.options, this.log, this.metrics);
    return this.client;
  }

  async start(signal: AbortSignal): Promise<void> {
    await abortable(this.connect(), signal, 'kafka call');
  }

  /** One shared connect attempt; a failed one is forgotten so the next call tries again. */
  private connect(): Promise<KafkaProducer> {
    if (this.closing !== undefined) {
      return Promise.reject(new SinkError('kafka sink is closed', { retryable: false, details: { sink: this.name } }));
    }
    if (this.connecting === undefined) {
      const producer = this.kafka().producer();
      const attempt = producer.connect().then(
        () => {
          this.log.info({ brokers: this.options.brokers }, 'kafka producer connected');
          return producer;
        },
        async (err: unknown) => {
          if (this.connecting === attempt) this.connecting = undefined;
          await producer.disconnect().catch(() => undefined);
          throw toSinkError(err, { phase: 'connect', brokers: this.options.brokers });
        },
      );
      this.connecting = attempt;
    }
    return this.connecting;
  }

  reject(record: DsRecord): string | null {
    const m = toMessage(record, this.topicFor);
    this.mapped.set(record, m);
    return oversizeReason(m, this.options.max_message_bytes);
  }

  async send(batch: readonly DsRecord[], signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError('kafka send', signal);
    if (batch.length === 0) return;
    const mapped = batch.map((record) => this.mapped.get(record) ?? toMessage(record, this.topicFor));
    // The pipeline screens with reject(); this guards callers that did not.
    for (const m of mapped) {
      const reason = oversizeReason(m, this.options.max_message_bytes);
      if (reason !== null) throw new SinkError(reason, { retryable: false, details: { topic: m.topic, bytes: m.bytes } });
    }
    const producer = await abortable(this.connect(), signal, 'kafka call');
    // A retry of this batch skips the produce requests already acknowledged (re-sending them would duplicate).
    const requests = planRequests(mapped, this.options.max_message_bytes);
    for (let i = this.acknowledgedRequests.get(batch) ?? 0; i < requests.length; i++) {
      const topicMessages = requests[i] as (typeof requests)[number];
      try {
        await abortable(
          producer.send({ topicMessages, acks: this.options.acks, timeout: this.options.timeout, compression: this.options.compression }),
          signal,
          'kafka call',
        );
      } catch (err) {
        if (err instanceof DsError && err.code === 'ABORTED') throw err;
        throw toSinkError(err, { topics: topicMessages.map((t) => t.topic), records: batch.length });
      }
      this.acknowledgedRequests.set(batch, i + 1);
    }
  }

  async check(signal: AbortSignal): Promise<string> {
    const admin = this.kafka().admin();
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(2 * this.options.connect_timeout)]);
    try {
      // Metadata only: the admin calls that need the controller are not used.
      await abortable(admin.connect(), deadline, 'kafka call');
      const cluster = await abortable(admin.describeCluster(), deadline, 'kafka call');
      const topics = [...new Set((['event', 'stats', 'disk_usage'] as const).map((k) => this.topicFor(k)))];
      return (
        `kafka cluster ${cluster.clusterId}: ${cluster.brokers.length} brokers reachable ` +
        `(${cluster.brokers.map((b) => `${b.host}:${b.port}`).join(', ')}); ` +
        `topics ${topics.join(', ')}...; acks ${this.options.acks}; compression ${this.options.compression}`
      );
    } catch (err) {
      if (signal.aborted) throw new DsError('ABORTED', 'kafka check aborted', { cause: err });
      throw new DsError('SINK_UNREACHABLE', 'kafka brokers unreachable', {
        cause: err,
        details: { sink: this.name, brokers: this.options.brokers },
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const producer = await this.connecting?.catch(() => undefined);
      await producer?.disconnect().catch((err: unknown) => this.log.warn({ err }, 'kafka producer disconnect failed'));
    })();
    return this.closing;
  }
}
