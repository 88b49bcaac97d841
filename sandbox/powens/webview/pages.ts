/** The webview's pages: French, server-rendered, no script, no external resource. */
import {
  ACCOUNT_TEMPLATES,
  SANDBOX_OTP,
  SANDBOX_WRONG_PASSWORD,
  connectorById,
  type AccountKind,
  type Connector,
} from '../catalog';
import type { SandboxContext } from '../context';
import type { Engine } from '../engine';
import type { WebviewSteps } from './flow';
import { offeredBanks, selectable, type Session } from './params';

export function createPages(ctx: SandboxContext, engine: Engine, steps: WebviewSteps) {
  const { manageAccounts, manageConnections } = steps;

  const esc = (v: unknown) =>
    String(v ?? '').replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
    );

  function layout(title: string, body: string, bank?: Connector): string {
    return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – Powens (sandbox)</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef1f6;margin:0;color:#1d2433}
main{max-width:460px;margin:40px auto;background:#fff;border-radius:10px;box-shadow:0 2px 12px #0002;padding:28px}
h1{font-size:1.25rem;margin:0 0 4px}.bank{color:#0b3c5d;font-weight:600;margin-bottom:16px}
label{display:block;margin:12px 0 4px;font-weight:500}input[type=text],input[type=password],input[type=email],select{width:100%;box-sizing:border-box;padding:9px;border:1px solid #b8c0cc;border-radius:6px;font-size:1rem}
.row{display:flex;gap:8px;align-items:flex-start;margin:8px 0}.row input{margin-top:4px}
button{padding:10px 16px;border-radius:6px;border:0;background:#0b3c5d;color:#fff;font-size:1rem;cursor:pointer;margin-top:16px}
button.secondary{background:#e3e7ee;color:#1d2433}.error{background:#fde8e8;color:#9b1c1c;padding:10px;border-radius:6px;margin:12px 0}
.notice{background:#e6f4ea;color:#1e6b34;padding:10px;border-radius:6px;margin:12px 0}.small{font-size:.85rem;color:#5b6575}
ul.banks{list-style:none;padding:0}ul.banks li{margin:6px 0}ul.banks button{width:100%;text-align:left;background:#f4f6fa;color:#1d2433;border:1px solid #d5dbe5;margin:0}
.actions{display:flex;justify-content:space-between;gap:8px}footer{max-width:460px;margin:8px auto;font-size:.8rem;color:#5b6575;text-align:center}
</style></head><body><main>
<h1>${esc(title)}</h1>${bank ? `<div class="bank">${esc(bank.name)}</div>` : ''}
${body}
</main><footer>Proposé par Powens (environnement de test local). Vos identifiants sont chiffrés et ne sont jamais
communiqués à l’application qui vous a dirigé ici.</footer></body></html>`;
  }

  const form = (s: Session, inner: string, opts: { cancel?: boolean } = {}) =>
    `<form method="post" action="/webview/s/${esc(s.id)}/${s.data.step}">${inner}
<div class="actions">${opts.cancel === false ? '' : '<button class="secondary" name="action" value="cancel" formnovalidate>Annuler</button>'}
<button name="action" value="continue">Continuer</button></div></form>`;

  async function render(s: Session, error?: string): Promise<string> {
    const bank = s.data.connectorId ? connectorById(s.data.connectorId) : undefined;
    const err = error ? `<div class="error">${esc(error)}</div>` : '';
    const notice = s.data.notice ? `<div class="notice">${esc(s.data.notice)}</div>` : '';
    switch (s.data.step) {
      case 'banks': {
        const banks = offeredBanks(s.params);
        return layout(
          'Choisissez votre banque',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/banks"><ul class="banks">${banks
            .map((c) => `<li><button name="connector" value="${c.id}">${esc(c.name)}</button></li>`)
            .join('')}</ul>
<div class="actions"><button class="secondary" name="action" value="cancel">Annuler</button></div></form>`,
        );
      }
      case 'terms':
        return layout(
          'Conditions d’utilisation',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/terms">
<p>Pour récupérer vos relevés bancaires, Powens accède à vos comptes en votre nom, en lecture seule, conformément
à la directive européenne sur les services de paiement (DSP2). Powens est agréé en qualité d’établissement de
paiement par l’ACPR.</p>
<p>Vous pourrez retirer votre consentement à tout moment depuis l’espace de gestion de vos connexions.</p>
<div class="row"><input type="checkbox" id="accept" name="accept" value="on"><label for="accept">J’accepte les
conditions générales d’utilisation du service et la politique de confidentialité de Powens.</label></div>
<div class="actions"><button class="secondary" name="action" value="decline">Refuser</button>
<button name="action" value="continue">Accepter et continuer</button></div></form>`,
          bank,
        );
      case 'credentials': {
        const reconnect = s.flow === 'reconnect';
        const c = bank!;
        const password = c.fields.find((f) => f.name === 'password')?.label ?? 'Mot de passe';
        return layout(
          reconnect ? 'Mettez à jour vos identifiants' : 'Connectez-vous à votre banque',
          `${err}${reconnect ? '<p>Indiquez les identifiants à mettre à jour.</p>' : ''}${form(
            s,
            `${
              reconnect
                ? ''
                : `<label for="website">Type de compte</label><select id="website" name="website">
<option value="par">Particuliers</option><option value="pro" selected>Professionnels</option></select>`
            }
<label for="login">Identifiant</label><input type="text" id="login" name="login" autocomplete="username" value="${esc(s.data.login ?? '')}" required>
<label for="password">${esc(password)}</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<p class="small">Banque de test : tout identifiant est accepté ; le mot de passe « ${SANDBOX_WRONG_PASSWORD} » est refusé.</p>`,
          )}`,
          bank,
        );
      }
      case 'otp':
        return layout(
          'Authentification forte',
          `${err}${form(
            s,
            `<p>Un code de validation vous a été envoyé par SMS.</p>
<label for="otp">Code reçu par SMS</label><input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" required>
<p class="small">Banque de test : le code est ${SANDBOX_OTP}.</p>`,
          )}`,
          bank,
        );
      case 'decoupled':
        return layout(
          'Validez dans votre application',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/decoupled">
<p>Une demande de validation a été envoyée sur l’application mobile de votre banque. Validez-la, puis cliquez sur
« J’ai validé ».</p><div class="actions"><button class="secondary" name="action" value="cancel">Annuler</button>
<button name="action" value="validated">J’ai validé</button></div></form>`,
          bank,
        );
      case 'webauth':
        return layout(
          'Redirection vers votre banque',
          `${err}<form method="post" action="/webview/s/${esc(s.id)}/webauth">
<p>Vous allez vous authentifier directement sur le site de votre banque (simulé ici), qui vous demandera
d’autoriser l’accès à vos comptes.</p>
${
  s.flow === 'connect'
    ? `<label for="website">Type de compte</label><select id="website" name="website">
<option value="par">Particuliers</option><option value="pro" selected>Professionnels</option></select>`
    : ''
}
<div class="actions"><button class="secondary" name="action" value="cancel">Annuler</button>
<button name="action" value="authorize">Autoriser l’accès</button></div></form>`,
          bank,
        );
      case 'action':
        return layout(
          'Action requise sur le site de votre banque',
          `${err}${form(
            s,
            `<p>Votre banque demande une action de votre part sur son site (validation de nouvelles conditions, mise
à jour d’informations…). Effectuez-la, puis cliquez sur « Continuer ».</p>`,
          )}`,
          bank,
        );
      case 'confirm':
        return layout(
          'Votre connexion',
          `${err}${form(s, '<p>Votre connexion ne demande aucune information. Cliquez sur « Continuer » pour la synchroniser.</p>')}`,
          bank,
        );
      case 'accounts': {
        const all = await engine.accountsOf(ctx.pool, { connectionId: s.data.connectionId });
        const offered = new Set(selectable(s.params, all).map((a) => a.id));
        return layout(
          'Choisissez vos comptes',
          `${err}${form(
            s,
            `<p>Sélectionnez les comptes dont vous autorisez la récupération des relevés.</p>${all
              .map((a) => {
                const ok = offered.has(a.id);
                const tpl = ACCOUNT_TEMPLATES[a.kind as AccountKind];
                return `<div class="row"><input type="checkbox" id="a${a.id}" name="accounts" value="${a.id}" ${
                  ok ? 'checked' : 'disabled'
                }><label for="a${a.id}">${esc(a.original_name)}<br><span class="small">${esc(
                  a.iban ?? a.number ?? '',
                )} · ${esc(tpl?.currency ?? a.currency)}${ok ? '' : ' · non proposé'}</span></label></div>`;
              })
              .join('')}`,
          )}`,
          bank,
        );
      }
      case 'contact':
        return layout(
          'Informations sur votre entreprise',
          `${err}${form(
            s,
            `<p>Vos comptes sont des comptes professionnels : indiquez l’entreprise titulaire et un contact.</p>
<label for="company">Raison sociale</label><input type="text" id="company" name="company" required>
<label for="siren">SIREN (facultatif)</label><input type="text" id="siren" name="siren" inputmode="numeric">
<label for="email">Adresse e-mail</label><input type="email" id="email" name="email" required>
<label for="phone">Téléphone (facultatif)</label><input type="text" id="phone" name="phone">`,
          )}`,
          bank,
        );
      case 'manage': {
        const connections = await manageConnections(s);
        const accounts = await manageAccounts(s);
        const blocks = connections
          .map((c) => {
            const b = connectorById(c.id_connector);
            return `<h2 style="font-size:1.05rem">${esc(b?.name ?? `Banque ${c.id_connector}`)}</h2>${accounts
              .filter((a) => a.id_connection === c.id)
              .map(
                (a) =>
                  `<div class="row"><input type="checkbox" id="a${a.id}" name="accounts" value="${a.id}" ${
                    a.disabled ? '' : 'checked'
                  }><label for="a${a.id}">${esc(a.original_name)}<br><span class="small">${esc(a.iban ?? a.number ?? '')}</span></label></div>`,
              )
              .join(
                '',
              )}<button class="secondary" name="action" value="delete:${c.id}" formnovalidate>Supprimer cette connexion</button>`;
          })
          .join('');
        return layout(
          'Gérez vos connexions',
          `${err}${notice}<form method="post" action="/webview/s/${esc(s.id)}/manage">${
            blocks || '<p>Aucune connexion bancaire.</p>'
          }<div class="actions"><button class="secondary" name="action" value="close">Fermer</button>
<button name="action" value="save">Enregistrer</button></div></form>`,
        );
      }
    }
  }

  return { esc, layout, render };
}
