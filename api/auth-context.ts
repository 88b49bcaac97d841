/** Who is calling: set by `authenticate` (api/auth.ts) on res.locals, read by every handler. */
import type { Response } from 'express';
import type { PortalAccountKind, UserRight } from '../db/client';
import { unauthorized } from './errors';

export interface AuthContext {
  account: {
    id: string;
    kind: PortalAccountKind;
    rootId: string;
    parentId: string | null;
    name: string;
    siren: string;
    contactEmail: string;
    contactPhone: string | null;
  };
  actor: { type: 'USER' | 'API_KEY'; id: string; name: string };
  rights: Set<UserRight>;
  /** Present for cookie sessions (the CSRF token is required on writes). */
  session?: { id: string; csrfToken: string };
}

export function authOf(res: Response): AuthContext {
  const auth = res.locals.auth as AuthContext | undefined;
  if (!auth) throw unauthorized();
  return auth;
}
