import { z } from 'zod';

/** The three kinds of caller; a route names the roles it serves. */
export const roles = ['buyer', 'bureau', 'auditor'] as const;
export type Role = (typeof roles)[number];

/** Claims Veil requires in every token, beyond a valid signature and expiry. */
export const claimsSchema = z.object({
  sub: z.string().min(1).max(200),
  role: z.enum(roles),
  exp: z.number().int(),
});

/** Who is calling, as established from a verified token. */
export interface Principal {
  sub: string;
  role: Role;
}
