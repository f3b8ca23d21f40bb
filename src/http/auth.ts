import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { VeilError } from '../errors/registry.js';
import { keyChooser, type PublicKeyAlgorithm, type PublicKeyEntry } from './keys.js';
import { claimsSchema, type Principal, type Role } from './principal.js';

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; role: Role };
    user: Principal;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * Verified tokens kept by fast-jwt (LRU), so a buyer's repeated token is
 * checked once, not on every request; an entry lives no longer than its
 * token's `exp` (and at most fast-jwt's ten-minute default).
 */
const JWT_CACHE_SIZE = 1000;

/**
 * Verifies bearer tokens: HS256 with the gateway's secret, or RS256/EdDSA
 * with a configured public key chosen by `kid` (so `alg: none` and algorithm
 * swaps fail), `exp` required, and `sub` and `role` checked against the schema.
 */
export async function registerAuth(
  app: FastifyInstance,
  secret: string,
  publicKeys: readonly PublicKeyEntry[] = [],
): Promise<void> {
  const algorithms: ('HS256' | PublicKeyAlgorithm)[] = [
    'HS256',
    ...new Set(publicKeys.map((k) => k.alg)),
  ];
  await app.register(fastifyJwt, {
    secret: { private: secret, public: keyChooser(secret, publicKeys) },
    decode: { complete: true },
    sign: { algorithm: 'HS256' },
    verify: { algorithms, requiredClaims: ['exp'], cache: JWT_CACHE_SIZE },
  });
}

/** Establishes the principal of a request and checks its role; throws a coded 401/403. */
export async function authorize(req: FastifyRequest, allowed: readonly Role[]): Promise<Principal> {
  if (!req.headers.authorization) {
    throw new VeilError(
      'VEIL_AUTH_MISSING',
      'send "Authorization: Bearer <token>"; `veil token` makes one',
    );
  }
  let payload: unknown;
  try {
    payload = await req.jwtVerify();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const reason = code.includes('EXPIRED')
      ? 'the token has expired; get a new one'
      : 'the token is not valid';
    throw new VeilError(
      'VEIL_AUTH_INVALID',
      `${reason} (HS256 with the gateway's secret, or RS256/EdDSA with a configured key's kid)`,
    );
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) {
    throw new VeilError(
      'VEIL_AUTH_CLAIMS',
      'the token needs a string "sub" (your organisation) and "role": buyer, bureau or auditor',
    );
  }
  const principal: Principal = { sub: claims.data.sub, role: claims.data.role };
  req.principal = principal;
  if (!allowed.includes(principal.role)) {
    throw new VeilError(
      'VEIL_AUTH_FORBIDDEN',
      `role "${principal.role}" may not use this route; it is for: ${allowed.join(', ')}`,
    );
  }
  return principal;
}

/**
 * A route's onRequest hook: authenticate before the body is even parsed, so
 * an unauthenticated caller learns nothing from body errors.
 */
export function requireRole(...allowed: Role[]): onRequestAsyncHookHandler {
  return async (req) => {
    await authorize(req, allowed);
  };
}

/** The principal an onRequest hook established; routes call it after requireRole. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new VeilError('VEIL_INTERNAL', 'route has no requireRole hook');
  return req.principal;
}
