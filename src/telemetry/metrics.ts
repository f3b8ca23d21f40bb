import { metrics, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';

/** The gateway's instruments; names and units are part of the operator contract. */
export interface VeilInstruments {
  requests: Counter;
  epsilonSpent: Counter;
  enclaveMs: Histogram;
  groupsSuppressed: Counter;
}

let cached: { provider: MeterProvider; instruments: VeilInstruments } | undefined;

/**
 * The instruments of the global meter provider. Looked up on use, not at
 * import, because metrics (unlike traces) have no proxy provider: a meter
 * taken before the SDK starts would stay a no-op forever.
 */
export function instruments(): VeilInstruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter('veil');
  const made: VeilInstruments = {
    requests: meter.createCounter('veil.requests', {
      description: 'HTTP requests by route and outcome (answered, refused, error)',
    }),
    epsilonSpent: meter.createCounter('veil.epsilon.spent', {
      description: 'Privacy budget (epsilon) charged by answered queries, by dataset',
    }),
    enclaveMs: meter.createHistogram('veil.enclave.duration', {
      description: 'Time the enclave took to run a rewritten statement',
      unit: 'ms',
    }),
    groupsSuppressed: meter.createCounter('veil.groups.suppressed', {
      description: 'Groups withheld by the release threshold, by dataset',
    }),
  };
  cached = { provider, instruments: made };
  return made;
}
