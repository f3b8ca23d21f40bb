import { z } from 'zod';

/** The three kinds of caller; a route names the roles it serves. */
export const roles = ['buyer', 'bureau', 'auditor'] as const;
export type Role = (typeof roles)[number];

/** Claims Veil requires in every token, beyond a valid signature and expiry. */
export const claimsSchema = z.object({
  /** An organisation id: no surrounding spaces, no control characters, so one org is one budget. */
  sub: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\s\p{Cc}](?:[^\p{Cc}]*[^\s\p{Cc}])?$/u),
  role: z.enum(roles),
  exp: z.number().int(),
});

/** Who is calling, as established from a verified token. */
export interface Principal {
  sub: string;
  role: Role;
}
