/** The user and their connections: list, create, get, sync (PUT) or update and/or sync (POST), delete, sources. */
import type { Request, Response, Router } from 'express';
import { SANDBOX_WRONG_PASSWORD, connectorById, connectorByName } from '../catalog';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import { accountJson, connectionJson, connectorJson, sourcesJson, userJson } from '../format';
import type { ConnectionRow } from '../rows';
import { SCHEMA } from '../schema';
import { waitsForUser } from '../states';
import { resolvesState, type SyncTrigger } from '../sync';
import { flag, sendError, str, type Authed } from './http';

/** Adds the user's and the connections' routes to `user`; returns the lookup of the request's own connection. */
export function connectionRoutes(user: Router, ctx: SandboxContext, engine: Engine) {
  user.get('/', async (req: Authed, res) => {
    const u = await ctx.pool.query(`SELECT created FROM ${SCHEMA}.users WHERE id = $1`, [req.userId]);
    res.json(userJson(req.userId!, u.rows[0]?.created ?? ctx.now()));
  });
  user.delete('/', async (req: Authed, res) => {
    await engine.deleteUser(ctx.pool, req.userId!);
    res.status(204).end();
  });

  // ---- connections --------------------------------------------------------------------------
  async function ownConnection(req: Authed, res: Response): Promise<ConnectionRow | null> {
    const c = await engine.getConnection(ctx.pool, Number(req.params.cid));
    if (!c || c.id_user !== req.userId) {
      sendError(res, 404, 'notFound', 'Connection not found.');
      return null;
    }
    return c;
  }
  const expandList = (req: Request) =>
    (str(req.query.expand) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  async function presentConnection(req: Request, c: ConnectionRow) {
    const expand = expandList(req);
    const out: Record<string, unknown> = connectionJson(c);
    if (expand.includes('connector')) {
      const connector = connectorById(c.id_connector);
      out.connector = connector ? connectorJson(connector) : null;
    }
    if (expand.includes('sources')) out.sources = sourcesJson(c);
    if (expand.includes('accounts') || expand.includes('all_accounts')) {
      const accounts = await engine.accountsOf(ctx.pool, { connectionId: c.id });
      if (expand.includes('accounts')) out.accounts = accounts.filter((a) => !a.disabled).map(accountJson);
      if (expand.includes('all_accounts')) out.all_accounts = accounts.map(accountJson);
    }
    return out;
  }

  user.get('/connections', async (req: Authed, res) => {
    const list = await engine.listConnections(ctx.pool, req.userId!);
    res.json({ connections: await Promise.all(list.map((c) => presentConnection(req, c))) });
  });

  user.post('/connections', async (req: Authed, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const connector =
      body.id_connector !== undefined
        ? connectorById(Number(body.id_connector))
        : body.connector_uuid !== undefined
          ? connectorByName(String(body.connector_uuid))
          : undefined;
    if (!connector) return sendError(res, 400, 'missingParameter', 'id_connector or connector_uuid is required.');
    if (connector.authMechanism !== 'credentials')
      return sendError(res, 400, 'invalidValue', 'This connector requires the webauth flow.');
    if (!str(body.login) || !str(body.password))
      return sendError(res, 400, 'missingParameter', 'login and password are required.');
    if (body.password === SANDBOX_WRONG_PASSWORD)
      return sendError(res, 400, 'wrongpass', 'Wrong credentials.', 'Identifiant ou mot de passe incorrect.');
    const { connection } = await engine.createConnection(ctx.pool, {
      userId: req.userId!,
      connector,
      website: str(body.website) === 'pro' ? 'pro' : 'par',
      login: str(body.login) ?? null,
    });
    const synced = await engine.syncConnection(connection.id, 'initial');
    res.json(await presentConnection(req, synced));
  });

  user.get('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (c) res.json(await presentConnection(req, c));
  });

  /**
   * A sync asked through the API of a connection that waits for its user (wrongpass, SCARequired,
   * decoupled…): Powens suspends its synchronisation "until the appropriate action is performed"
   * (for SCARequired, "the synchronization has not been attempted"), so only a request that is that
   * action runs (an SCA with the user present, the code, new credentials, `resume`). Anything else
   * is not attempted: the connection comes back as it is, same state, no data, no webhook.
   */
  const notAttempted = (c: ConnectionRow, trigger: SyncTrigger) =>
    waitsForUser(c.state) && !resolvesState(trigger, c.state);

  // PUT: "Sync a connection"; psu_requested defaults to true (a person is present).
  user.put('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (!c) return;
    const psu = req.query.psu_requested === undefined ? true : flag(req.query.psu_requested);
    const trigger: SyncTrigger = psu ? 'psu' : 'background';
    if (notAttempted(c, trigger)) return res.json(await presentConnection(req, c));
    const synced = await engine.syncConnection(c.id, trigger);
    res.json(await presentConnection(req, synced));
  });

  // POST: update and/or sync: `{}` syncs, `{resume: true}` resumes a decoupled connection,
  // field values (`otp`, `login`/`password`) answer the bank, `active` only updates.
  user.post('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (!c) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const keys = Object.keys(body).filter((k) => body[k] !== undefined);
    if (body.active !== undefined)
      await ctx.pool.query(`UPDATE ${SCHEMA}.connections SET active = $2 WHERE id = $1`, [c.id, flag(body.active)]);
    if (keys.length > 0 && keys.every((k) => ['active', 'expire', 'source'].includes(k))) {
      return res.json(await presentConnection(req, (await engine.getConnection(ctx.pool, c.id))!));
    }
    let trigger: SyncTrigger = 'psu';
    if (flag(body.resume)) trigger = 'resume';
    else if (body.password !== undefined || body.login !== undefined) {
      if (body.password === SANDBOX_WRONG_PASSWORD) {
        await engine.forceState(c.id, 'wrongpass', { apply: true });
        return sendError(res, 400, 'wrongpass', 'Wrong credentials.', 'Identifiant ou mot de passe incorrect.');
      }
      trigger = 'credentials';
    } else if (body.otp !== undefined || body.code !== undefined) trigger = 'otp';
    if (notAttempted(c, trigger)) return res.json(await presentConnection(req, c));
    if (flag(req.query.background)) {
      const out = await presentConnection(req, c);
      if (trigger === 'resume') out.state = out.error = 'validating';
      res.json(out);
      setImmediate(() => {
        engine.syncConnection(c.id, trigger).catch((e) => {
          ctx.opts.logger?.warn(
            { err: (e as Error).message, connection: c.id },
            'powens sandbox: background sync failed',
          );
        });
      });
      return;
    }
    const synced = await engine.syncConnection(c.id, trigger);
    res.json(await presentConnection(req, synced));
  });

  user.delete('/connections/:cid', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (!c) return;
    await engine.deleteConnection(ctx.pool, c);
    res.status(204).end();
  });

  user.get('/connections/:cid/sources', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (c) res.json({ sources: sourcesJson(c) });
  });

  return { ownConnection };
}
