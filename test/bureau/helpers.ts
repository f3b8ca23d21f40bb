import { fetch } from 'undici';
import type { TestGateway } from '../fixtures/gateway.js';

/** Any method, JSON body optional; answers status, parsed JSON and text. */
export async function send(
  g: TestGateway,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(g.url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** A count per borough on the NYC data, optionally at an epsilon. */
export function boroughCount(epsilon?: number) {
  return {
    dataset: 'nyc311_street_flooding',
    groupBy: ['borough'],
    aggregates: [{ fn: 'count' }],
    ...(epsilon === undefined ? {} : { epsilon }),
  };
}
