/** The user's bank accounts: lists with their balances, one account, its update (enable, disable, rename). */
import type { Response, Router } from 'express';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import { accountJson } from '../format';
import type { AccountRow, ConnectionRow } from '../rows';
import { flag, sendError, str, type Authed } from './http';

export function accountRoutes(
  user: Router,
  ctx: SandboxContext,
  engine: Engine,
  ownConnection: (req: Authed, res: Response) => Promise<ConnectionRow | null>,
) {
  async function listAccounts(req: Authed, res: Response, connectionId?: number) {
    const all = flag(req.query.all);
    const accounts = (await engine.accountsOf(ctx.pool, { userId: req.userId!, connectionId })).filter(
      (a) => all || (!a.disabled && !a.deleted),
    );
    if (accounts.length === 0 && connectionId === undefined)
      return sendError(res, 400, 'noAccount', 'No bank account is available.');
    const sum = (pick: (a: AccountRow) => number | null) => {
      const out: Record<string, number> = {};
      for (const a of accounts.filter((x) => !x.disabled && !x.deleted))
        out[a.currency] = Math.round(((out[a.currency] ?? 0) + (pick(a) ?? 0) / 100) * 100) / 100;
      return out;
    };
    res.json({
      accounts: accounts.map(accountJson),
      balances: sum((a) => a.balance_cents),
      coming_balances: sum((a) => a.coming_cents),
      total: accounts.length,
    });
  }
  user.get('/accounts', (req: Authed, res) => listAccounts(req, res));
  user.get('/connections/:cid/accounts', async (req: Authed, res) => {
    const c = await ownConnection(req, res);
    if (c) await listAccounts(req, res, c.id);
  });

  async function ownAccount(req: Authed, res: Response): Promise<AccountRow | null> {
    const a = await engine.getAccount(ctx.pool, Number(req.params.aid));
    const cid = req.params.cid === undefined ? undefined : Number(req.params.cid);
    if (
      !a ||
      a.id_user !== req.userId ||
      (cid !== undefined && a.id_connection !== cid) ||
      (a.disabled && !flag(req.query.all))
    ) {
      sendError(res, 404, 'notFound', 'Bank account not found.');
      return null;
    }
    return a;
  }
  const getAccount = async (req: Authed, res: Response) => {
    const a = await ownAccount(req, res);
    if (a) res.json(accountJson(a));
  };
  const updateAccount = async (req: Authed, res: Response) => {
    const a = await ownAccount(req, res);
    if (!a) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const bool = (v: unknown) => (v === undefined ? undefined : v === true || v === 'true' || v === '1' || v === 1);
    const updated = await engine.updateAccount(a, {
      disabled: bool(body.disabled),
      display: bool(body.display),
      bookmarked: bool(body.bookmarked),
      name: str(body.name),
      usage: body.usage === undefined ? undefined : (str(body.usage) ?? null),
    });
    res.json(accountJson(updated));
  };
  for (const p of ['/accounts/:aid', '/connections/:cid/accounts/:aid']) {
    user.get(p, getAccount);
    user.post(p, updateAccount);
    user.put(p, updateAccount);
  }
}
