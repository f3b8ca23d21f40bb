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

/** Tokens a server keeps as verified; past it, the oldest is verified again when it returns. */
const VERIFIED_TOKENS_KEPT = 1000;

/**
 * Tokens each server verified, with the principal they carry and their
 * `exp`: a client sends the same token with every request, and checking its
 * signature and claims again each time was a tenth of a repeated query's
 * cost. Only a token that passed every check is kept, under its exact text,
 * and only until its `exp`; per server, because servers may hold different
 * secrets.
 */
const verifiedBy = new WeakMap<object, Map<string, { principal: Principal; exp: number }>>();

function verifiedTokens(req: FastifyRequest) {
  let kept = verifiedBy.get(req.server);
  if (kept === undefined) {
    kept = new Map();
    verifiedBy.set(req.server, kept);
  }
  return kept;
}

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
    verify: { algorithms, requiredClaims: ['exp'] },
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
  const token = req.headers.authorization;
  const kept = verifiedTokens(req).get(token);
  if (kept !== undefined && kept.exp * 1000 > Date.now())
    return admit(req, kept.principal, allowed);
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
  const tokens = verifiedTokens(req);
  tokens.set(token, { principal, exp: claims.data.exp });
  if (tokens.size > VERIFIED_TOKENS_KEPT) tokens.delete(tokens.keys().next().value!);
  return admit(req, principal, allowed);
}

/** Records the caller on the request and checks its role; throws VEIL_AUTH_FORBIDDEN. */
function admit(req: FastifyRequest, principal: Principal, allowed: readonly Role[]): Principal {
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
