/**
 * Authentication: portal users log in with a password (scrypt) and get a session cookie
 * (httpOnly, SameSite=Lax, Secure behind https; only the SHA-256 of the token is stored) that
 * expires after SESSION_IDLE_MINUTES without use and 12 hours after login at the latest, and
 * integrations send an API key (`Authorization: Bearer rlv_…`, stored as its SHA-256, shown once).
 * Cookie-authenticated writes must carry the session's CSRF token in `X-CSRF-Token`.
 */
import {
  createHash,
  createHmac,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Prisma, readSql, type Db, type UserRight } from '../db/client';
import type { AuthContext } from './auth-context';
import { forbidden, unauthorized } from './errors';

const ALL_RIGHTS: UserRight[] = ['CONFIGURE_BANKS', 'MANAGE_COMPANIES', 'VIEW_STATEMENTS', 'ADMIN'];
export const SESSION_COOKIE = 'releves_session';
/** A session's absolute lifetime, however active. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** A session's expiry moves with activity by steps of at least this much (one write a minute at most). */
const SESSION_TOUCH_MS = 60_000;

/**
 * When a session used at `now` expires: after `idleMs` without use (SESSION_IDLE_MINUTES), and
 * never later than SESSION_TTL_MS after it was opened.
 */
export function sessionExpiry(createdAt: Date, now: Date, idleMs: number): Date {
  return new Date(Math.min(createdAt.getTime() + SESSION_TTL_MS, now.getTime() + idleMs));
}
const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 64 };

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A password hash computed once, compared against when the login is unknown (same timing). */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(12).toString('hex'));
  return dummyHash;
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface NewApiKey {
  key: string;
  prefix: string;
  keyHash: string;
}

function apiKeyFrom(secret: Buffer): NewApiKey {
  const key = `rlv_${secret.toString('base64url')}`;
  return { key, prefix: key.slice(0, 12), keyHash: sha256(key) };
}

export const generateApiKey = () => apiKeyFrom(randomBytes(32));
/**
 * Deterministic key for the demo data (scripts/seed-demo.ts, never run in production) and tests:
 * the same secret and label always give the same key.
 */
export const deriveApiKey = (secret: string, label: string) =>
  apiKeyFrom(createHmac('sha256', secret).update(`api-key:${label}`).digest());

export function newSessionToken(): { token: string; id: string; csrfToken: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, id: sha256(token), csrfToken: randomBytes(24).toString('base64url') };
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookieOptions(req: Request, publicBaseUrl: string) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: req.secure || publicBaseUrl.startsWith('https://'),
    path: '/',
  };
}

/** A secondary account its primary closed (api/routes/secondary-accounts.ts). */
export const CLOSED_ACCOUNT = 'Ce compte a été fermé par son compte principal : la connexion n’est plus possible.';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type AccountRow = AuthContext['account'];
/** The caller's portal account, as every request reads it (`p`), and whether it was closed. */
const ACCOUNT_COLUMNS = Prisma.sql`p.id::text AS p_id, p.kind::text AS p_kind, p."rootId"::text AS "p_rootId",
  p."parentId"::text AS "p_parentId", p.name AS p_name, p.siren AS p_siren, p."contactEmail" AS "p_contactEmail",
  p."contactPhone" AS "p_contactPhone", p."closedAt" AS "p_closedAt"`;
interface AccountColumns {
  p_id: string;
  p_kind: AccountRow['kind'];
  p_rootId: string;
  p_parentId: string | null;
  p_name: string;
  p_siren: string;
  p_contactEmail: string;
  p_contactPhone: string | null;
  p_closedAt: Date | null;
}
const accountOfColumns = (r: AccountColumns): AccountRow => ({
  id: r.p_id,
  kind: r.p_kind,
  rootId: r.p_rootId,
  parentId: r.p_parentId,
  name: r.p_name,
  siren: r.p_siren,
  contactEmail: r.p_contactEmail,
  contactPhone: r.p_contactPhone,
});

/**
 * Every request's look-ups (the key or the session, its user and portal account) are one SQL
 * statement each, written by hand: they run on every call, and Prisma's query compilation and one
 * statement per relation were a large part of a request's CPU (bench/RESULTS.md, "api"). Each is
 * a look-up by a unique key, planned once per session (db/client.ts `readSql`'s `planOnce`).
 */
export function authenticate(prisma: Db, opts: { idleMs: number }): RequestHandler {
  return async (req, res: Response, next) => {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m?.[1]) throw unauthorized("En-tête Authorization invalide : « Bearer <clé d'API> » attendu.");
      const [key] = await readSql<
        { id: string; name: string; lastUsedAt: Date | null; revokedAt: Date | null } & AccountColumns
      >(
        prisma,
        Prisma.sql`SELECT k.id::text AS id, k.name, k."lastUsedAt", k."revokedAt", ${ACCOUNT_COLUMNS}
          FROM "ApiKey" k JOIN "PortalAccount" p ON p.id = k."portalAccountId" WHERE k."keyHash" = ${sha256(m[1])}`,
        { planOnce: true },
      );
      if (!key || key.revokedAt) throw unauthorized("Clé d'API inconnue ou révoquée.");
      if (key.p_closedAt) throw unauthorized(CLOSED_ACCOUNT);
      if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
        prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
      }
      res.locals.auth = {
        account: accountOfColumns(key),
        actor: { type: 'API_KEY', id: key.id, name: key.name },
        rights: new Set(ALL_RIGHTS),
      } satisfies AuthContext;
      return next();
    }
    const token = readCookie(req, SESSION_COOKIE);
    if (!token) throw unauthorized();
    const [row] = await readSql<
      {
        id: string;
        csrfToken: string;
        createdAt: Date;
        expiresAt: Date;
        u_id: string;
        u_displayName: string;
        u_rights: UserRight[];
        u_active: boolean;
      } & AccountColumns
    >(
      prisma,
      Prisma.sql`SELECT s.id, s."csrfToken", s."createdAt", s."expiresAt", u.id::text AS u_id,
          u."displayName" AS "u_displayName", u.rights::text[] AS u_rights, u.active AS u_active, ${ACCOUNT_COLUMNS}
        FROM "Session" s JOIN "User" u ON u.id = s."userId" JOIN "PortalAccount" p ON p.id = u."portalAccountId"
        WHERE s.id = ${sha256(token)}`,
      { planOnce: true },
    );
    const session = row && {
      id: row.id,
      csrfToken: row.csrfToken,
      createdAt: row.createdAt,
      expiresAt: row.expiresAt,
      user: { id: row.u_id, displayName: row.u_displayName, rights: row.u_rights, active: row.u_active },
      closedAt: row.p_closedAt,
      account: accountOfColumns(row),
    };
    const now = new Date();
    if (
      !session ||
      session.expiresAt.getTime() <= now.getTime() ||
      session.createdAt.getTime() + SESSION_TTL_MS <= now.getTime() ||
      !session.user.active
    ) {
      throw unauthorized('Session expirée : veuillez vous reconnecter.');
    }
    if (session.closedAt) throw unauthorized(CLOSED_ACCOUNT);
    // Used now: the idle timeout starts again (capped by the absolute lifetime).
    const expiresAt = sessionExpiry(session.createdAt, now, opts.idleMs);
    if (expiresAt.getTime() - session.expiresAt.getTime() >= SESSION_TOUCH_MS)
      await prisma.session.updateMany({
        where: { id: session.id, expiresAt: { lt: expiresAt } },
        data: { expiresAt },
      });
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.get('x-csrf-token');
      if (!sent || !sameToken(sent, session.csrfToken)) {
        throw forbidden('Jeton CSRF absent ou invalide (en-tête X-CSRF-Token, voir GET /api/v1/me).');
      }
    }
    res.locals.auth = {
      account: session.account,
      actor: { type: 'USER', id: session.user.id, name: session.user.displayName },
      rights: new Set(session.user.rights),
      session: { id: session.id, csrfToken: session.csrfToken },
    } satisfies AuthContext;
    next();
  };
}
