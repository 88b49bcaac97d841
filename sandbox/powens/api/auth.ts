/** Authentication: `/auth/init`, the permanent token from a temporary code, renewals, temporary codes, revocation. */
import type { NextFunction, Response, Router } from 'express';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import { SCHEMA } from '../schema';
import { flag, sendError, str, type Authed } from './http';

/** Adds the /auth routes to `r`; returns the middleware that authenticates a user's token. */
export function authRoutes(r: Router, ctx: SandboxContext, engine: Engine) {
  const clientOk = (body: Record<string, unknown> | undefined) =>
    str(body?.client_id) === ctx.opts.clientId && str(body?.client_secret) === ctx.opts.clientSecret;

  r.post('/auth/init', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.client_id !== undefined && str(body.client_id) !== ctx.opts.clientId)
      return sendError(res, 400, 'invalidValue', 'Unknown client_id.');
    const permanent = body.client_id !== undefined || body.client_secret !== undefined;
    if (permanent && !clientOk(body)) return sendError(res, 403, 'forbidden', 'Invalid client credentials.');
    const u = await engine.createUser(ctx.pool, permanent);
    res.json({ auth_token: u.token, type: u.type, id_user: u.id, expires_in: u.expiresIn });
  });

  r.post('/auth/token/access', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!clientOk(body)) return sendError(res, 403, 'forbidden', 'Invalid client credentials.');
    const code = str(body.code);
    if (!code) return sendError(res, 400, 'missingParameter', 'code is required.');
    const userId = await engine.useCode(ctx.pool, code);
    if (typeof userId !== 'number') return sendError(res, 400, 'invalidValue', 'Invalid or expired code.');
    const t = await engine.issueToken(ctx.pool, userId, 'permanent');
    res.json({ access_token: t.token, token_type: 'Bearer' });
  });

  r.post('/auth/renew', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!clientOk(body)) return sendError(res, 403, 'forbidden', 'Invalid client credentials.');
    const userId = Number(body.id_user);
    const exists = await ctx.pool.query(`SELECT 1 FROM ${SCHEMA}.users WHERE id = $1`, [userId]);
    if (!exists.rowCount) return sendError(res, 404, 'notFound', 'Unknown user.');
    if (flag(body.revoke_previous))
      await ctx.pool.query(
        `UPDATE ${SCHEMA}.tokens SET revoked = $2 WHERE id_user = $1 AND type = 'permanent' AND revoked IS NULL`,
        [userId, ctx.now()],
      );
    const t = await engine.issueToken(ctx.pool, userId, 'permanent');
    res.json({ access_token: t.token, token_type: 'Bearer' });
  });

  const auth = async (req: Authed, res: Response, next: NextFunction) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!m) return sendError(res, 401, 'unauthorized', 'Authentication required (Authorization: Bearer <token>).');
    const who = await engine.resolveToken(m[1]!);
    if (!who) return sendError(res, 401, 'unauthorized', 'Invalid or expired token.');
    req.userId = who.userId;
    req.token = m[1]!;
    next();
  };

  r.get('/auth/token/code', auth, async (req: Authed, res) => {
    const type = str(req.query.type) ?? 'requestAccess';
    if (type !== 'requestAccess' && type !== 'singleAccess')
      return sendError(res, 400, 'invalidValue', 'type must be requestAccess or singleAccess.');
    const c = await engine.createCode(ctx.pool, req.userId!, type === 'singleAccess' ? 'single' : 'standard');
    res.json({ code: c.code, type: 'temporary', access: c.access, expires_in: c.expiresIn });
  });

  r.delete('/auth/token', auth, async (req: Authed, res) => {
    await ctx.pool.query(`UPDATE ${SCHEMA}.tokens SET revoked = $2 WHERE token = $1`, [req.token, ctx.now()]);
    res.status(204).end();
  });

  return auth;
}
