/**
 * The page a company reaches from the e-mailed link (`/l/<secret>`): who asks (the firm), which
 * accounts, the consent text (RGPD, Powens' role) and a button. Posting the consent records it and
 * answers 303 to Powens' webview: connect for an add-accounts link, reconnect for an
 * update-credentials link (asking the credentials again when the error needs them). The link is
 * marked used only by a successful callback, so a cancelled webview can be started again.
 * Unknown, used or expired links get a French page saying so and whom to ask for a new one.
 */
import { Router, urlencoded, type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { needsNewCredentials } from '../../domain/powens-states';
import type { AppDeps } from '../deps';
import { FORWARDED_HEADERS_IGNORED } from '../client-address';
import { unreadableRequest } from '../errors';
import { linkState } from '../../domain/links';
import { hashLinkSecret } from '../../lib/link-secrets';
import { esc, firmContact, sendPage } from './html';
import { issueWebviewState } from './state';

export const CONSENT_VERSION = '2026-11';

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

const parisDateTime = (d: Date) =>
  new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' }).format(d);

export function linkPagesRouter(deps: AppDeps, limit = 30): Router {
  const { prisma, config, logger } = deps;
  const router = Router();
  const webviewOrigin = new URL(config.powensWebviewUrl).origin;

  router.use(
    '/l',
    rateLimit({
      windowMs: 10 * 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      validate: FORWARDED_HEADERS_IGNORED,
      handler: (_req, res) =>
        sendPage(
          res,
          429,
          'Trop de tentatives',
          '<p>Trop de demandes depuis votre connexion. Veuillez réessayer dans quelques minutes.</p>',
        ),
    }),
  );

  async function load(token: string) {
    if (!TOKEN.test(token)) return null;
    return prisma.link.findUnique({
      where: { secretHash: hashLinkSecret(token) },
      include: {
        company: { include: { portalAccount: true } },
        connection: { include: { bank: true, accounts: { where: { active: true }, orderBy: { label: 'asc' } } } },
      },
    });
  }
  type Loaded = NonNullable<Awaited<ReturnType<typeof load>>>;

  /** The page for anything but a valid link; null when the link is valid. */
  function refusal(res: Response, link: Loaded | null): boolean {
    if (!link) {
      sendPage(
        res,
        404,
        'Lien inconnu',
        '<p>Ce lien n’est pas valide. Vérifiez qu’il a été copié en entier depuis l’e-mail reçu, ou demandez un nouveau lien à votre cabinet.</p>',
      );
      return true;
    }
    const state = linkState(link, deps.clock?.() ?? new Date());
    const firm = link.company.portalAccount;
    const ask = `<p>Si vous devez encore saisir vos identifiants bancaires, demandez un nouveau lien à ${esc(firm.name)} :</p><p>${firmContact(firm)}</p>`;
    if (state === 'used') {
      sendPage(
        res,
        410,
        'Lien déjà utilisé',
        `<p>Ce lien a déjà été utilisé${link.usedAt ? ` le ${esc(parisDateTime(link.usedAt))}` : ''} : un lien ne sert qu’une fois.</p>${ask}`,
      );
      return true;
    }
    if (state === 'expired' || !link.company.active) {
      const when = link.revokedAt
        ? 'Ce lien a été remplacé par un lien plus récent ou annulé.'
        : `Ce lien a expiré le ${esc(parisDateTime(link.expiresAt))} (il était valable 72 heures).`;
      sendPage(res, 410, 'Lien expiré', `<p>${when}</p>${ask}`);
      return true;
    }
    return false;
  }

  function consentPage(res: Response, link: Loaded, token: string, error?: string) {
    const firm = link.company.portalAccount;
    const add = link.kind === 'ADD_ACCOUNTS';
    const bank = link.connection?.bank?.name ?? link.connection?.connectorName ?? null;
    const accounts = link.connection?.accounts ?? [];
    const accountsHtml = add
      ? '<p>Vous choisirez dans l’écran de votre banque les comptes dont les relevés seront transmis.</p>'
      : `<p>Compte(s) bancaire(s) concerné(s)${bank ? ` chez ${esc(bank)}` : ''} :</p><ul>${accounts
          .map((a) => `<li>${esc(a.label)}${a.iban ? ` – ${esc(a.iban)}` : ''}</li>`)
          .join('')}</ul>${
          link.connection?.errorMessage
            ? `<p class="muted">Erreur signalée : ${esc(link.connection.errorMessage)}</p>`
            : ''
        }`;
    const body = `
<p><strong>${esc(firm.name)}</strong> vous demande ${
      add
        ? 'd’activer la transmission automatique de vos relevés bancaires'
        : 'de mettre à jour vos identifiants bancaires pour maintenir la transmission automatique de vos relevés'
    } au format CFONB120 pour le dossier <strong>${esc(link.company.name)}</strong> (SIREN ${esc(link.company.siren)}).</p>
${accountsHtml}
${error ? `<div class="error">${esc(error)}</div>` : ''}
<form method="post" action="/l/${esc(token)}">
<div class="consent">
<p>Vos identifiants bancaires sont saisis dans l’écran sécurisé de <strong>Powens</strong> (ex-Budget Insight), établissement de paiement agréé par l’ACPR, qui accède à vos comptes en lecture seule pour en récupérer les opérations. Ni ${esc(firm.name)} ni Relevés ne voient ni ne conservent vos identifiants.</p>
<p>Les opérations des comptes que vous choisirez sont transmises à ${esc(firm.name)} sous forme de relevés, pour la tenue de votre comptabilité. Conformément au RGPD, ces données ne servent qu’à cette fin ; vous pouvez à tout moment retirer votre consentement en demandant à ${esc(firm.name)} de désactiver les comptes, ou supprimer la connexion chez Powens.</p>
<label><input type="checkbox" name="consent" value="yes" required> J’autorise la transmission des opérations de mes comptes bancaires à ${esc(firm.name)} dans les conditions ci-dessus.</label>
</div>
<button type="submit">${add ? 'Choisir ma banque' : 'Mettre à jour mes identifiants'}</button>
</form>
<p class="muted">Lien valable jusqu’au ${esc(parisDateTime(link.expiresAt))}, utilisable une seule fois.<br>Pour toute question : ${firmContact(firm).replace(/<br>/g, ' – ')}</p>`;
    // The form posts here and is redirected to Powens' webview: both are allowed targets.
    res.set(
      'Content-Security-Policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${webviewOrigin}; frame-ancestors 'none'; base-uri 'none'`,
    );
    sendPage(
      res,
      error ? 400 : 200,
      add ? 'Activation de vos relevés bancaires' : 'Mise à jour de vos identifiants bancaires',
      body,
    );
  }

  router.get('/l/:token', async (req: Request<{ token: string }>, res) => {
    const link = await load(req.params.token);
    if (refusal(res, link)) return;
    consentPage(res, link!, req.params.token);
  });

  router.post(
    '/l/:token',
    urlencoded({ extended: false, limit: '4kb' }),
    async (req: Request<{ token: string }>, res) => {
      const link = await load(req.params.token);
      if (refusal(res, link)) return;
      const valid = link!;
      const consent = (req.body as Record<string, unknown> | undefined)?.consent;
      if (consent !== 'yes') {
        consentPage(res, valid, req.params.token, 'Cochez la case d’autorisation pour continuer.');
        return;
      }
      if (!deps.powens) {
        sendPage(res, 503, 'Service momentanément indisponible', '<p>Veuillez réessayer dans quelques minutes.</p>');
        return;
      }
      const add = valid.kind === 'ADD_ACCOUNTS';
      if (!add && !valid.connection) {
        sendPage(res, 410, 'Lien expiré', '<p>La connexion bancaire de ce lien n’existe plus.</p>');
        return;
      }
      const resetCredentials = !add && needsNewCredentials(valid.connection!.state);
      const state = await prisma.$transaction(async (tx) => {
        await tx.auditEvent.create({
          data: {
            portalAccountId: valid.company.portalAccountId,
            actorType: 'COMPANY_LINK',
            actorId: valid.id,
            action: 'link.consent',
            entityType: 'Link',
            entityId: valid.id,
            detail: {
              consentVersion: CONSENT_VERSION,
              kind: valid.kind,
              companyId: valid.companyId,
              userAgent: req.get('user-agent') ?? null,
            },
            ip: req.ip ?? null,
          },
        });
        return issueWebviewState(tx, config.SESSION_SECRET, {
          flow: add ? 'connect' : 'reconnect',
          companyId: valid.companyId,
          linkId: valid.id,
          connectionId: valid.connectionId,
          resetCredentials,
        });
      });
      const redirectUri = `${config.publicBaseUrl}/powens/callback`;
      let url: string;
      try {
        url = add
          ? await deps.powens.connectUrl({ companyId: valid.companyId, redirectUri, state, bankId: valid.bankId })
          : await deps.powens.reconnectUrl({
              companyId: valid.companyId,
              connectionId: valid.connection!.id,
              powensConnectionId: valid.connection!.powensConnectionId,
              redirectUri,
              state,
              resetCredentials,
            });
      } catch (err) {
        logger.error({ err, linkId: valid.id }, 'Powens webview URL could not be built');
        sendPage(
          res,
          502,
          'Service momentanément indisponible',
          '<p>Le service de notre partenaire Powens ne répond pas. Votre lien reste valable : veuillez réessayer dans quelques minutes.</p>',
        );
        return;
      }
      res.set('Cache-Control', 'no-store').redirect(303, url);
    },
  );

  // A consent form the body parser could not read (oversize, unreadable): a French page, never a 500.
  router.use('/l', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const unreadable = unreadableRequest(err, 'Le formulaire envoyé');
    if (!unreadable) return next(err);
    sendPage(
      res,
      unreadable.status,
      'Formulaire illisible',
      `<p>${esc(unreadable.detail)} Revenez au lien reçu par e-mail et validez à nouveau le formulaire.</p>`,
    );
  });

  return router;
}
