import type { FastifyError, FastifyInstance } from 'fastify';
import { VeilError, isVeilError } from '../errors/registry.js';

/** Fastify's own body errors, mapped to Veil codes so clients see one registry. */
const fastifyCodes: Record<string, () => VeilError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new VeilError('VEIL_BODY_INVALID_JSON', 'the body is not valid JSON; send one JSON object'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new VeilError('VEIL_BODY_INVALID_JSON', 'the body is empty; send one JSON object'),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new VeilError('VEIL_BODY_TOO_LARGE', 'the body is larger than the limit; send a shorter query'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new VeilError(
      'VEIL_BODY_UNSUPPORTED_TYPE',
      'send the body with Content-Type: application/json',
    ),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new VeilError('VEIL_BODY_INVALID_JSON', 'the Content-Length does not match the body'),
};

/** Turns any thrown error into a coded refusal; unknown errors become VEIL_INTERNAL. */
export function toVeilError(err: unknown): VeilError {
  if (isVeilError(err)) return err;
  const code = (err as FastifyError | undefined)?.code;
  const mapped = code ? fastifyCodes[code] : undefined;
  if (mapped) return mapped();
  if (err instanceof SyntaxError) return fastifyCodes.FST_ERR_CTP_INVALID_JSON_BODY!();
  return new VeilError('VEIL_INTERNAL', 'internal error; nothing was charged. Try again later.');
}

/** Installs the error and not-found handlers that answer `{"error": {code, message, ...}}`. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const veil = toVeilError(err);
    req.veilError = veil;
    if (veil.status >= 500 && !isVeilError(err)) req.failure = (err as Error).name ?? 'unknown';
    return reply.status(veil.status).send(veil.toBody());
  });
  app.setNotFoundHandler((req, reply) => {
    const veil = new VeilError(
      'VEIL_NOT_FOUND',
      `no route ${req.method} for this path; see README`,
    );
    req.veilError = veil;
    return reply.status(404).send(veil.toBody());
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    veilError?: VeilError;
    /** An unexpected error's class, for the request's log line: never its message (values). */
    failure?: string;
  }
}
