/** The HTML of a bank account shared by the company page and the account page: its actions, its state note, its links. */
import type { PortalContext } from '../context';
import { frTime } from '../format';
import { html, qs, type Html } from '../html';
import { actionButton, badge, linkStateBadge } from '../layout';
import { LINK_KIND, when, type BankAccount, type Link } from './shared';

/**
 * Consulter, Collecter maintenant, Émettre un relevé intermédiaire, Mettre à jour les identifiants,
 * Saisir mes identifiants, Désactiver/Réactiver. The collect buttons follow the API's
 * `connection.collect`: disabled with the time of the end of the cooldown, or replaced by the
 * reason and the update-credentials link when the connection waits for the company.
 */
export function accountActions(ctx: PortalContext, a: BankAccount): Html {
  const canBanks = ctx.can('CONFIGURE_BANKS');
  const collect = a.connection.collect;
  const waiting = collect.refusal === 'user-action';
  const updateLink = actionButton(ctx, `/connexions/${a.connectionId}/lien`, 'Mettre à jour les identifiants', {
    cls: waiting ? 'small primary' : 'small',
    title: `Envoyer au redevable un lien de mise à jour des identifiants (${a.label})`,
    confirm: 'Envoyer au redevable un lien sécurisé (72 h) pour mettre à jour ses identifiants bancaires ?',
  });
  // Waiting for the company: the reason first, then its remedy where "Collecter maintenant" was.
  return html`${canBanks && a.active && waiting ? html`<small class="reason blocked" role="note">${collect.message}</small>` : ''}
    <a class="button small" href="/comptes/${a.id}" aria-label="Consulter le compte ${a.label}">Consulter</a>
    ${
      canBanks && a.active
        ? html`${waiting ? updateLink : html`${collectButtons(ctx, a)}${updateLink}`}
          ${
            a.company.siren === ctx.me.portalAccount.siren
              ? actionButton(ctx, `/connexions/${a.connectionId}/reconnexion`, 'Saisir mes identifiants', {
                  title: `Saisir directement les identifiants bancaires (${a.label})`,
                })
              : ''
          }
          ${actionButton(ctx, `/comptes/${a.id}/desactiver`, 'Désactiver', {
            title: `Désactiver le compte ${a.label}`,
            confirm: 'Désactiver la réception des relevés sur ce compte bancaire ?',
          })}`
        : ''
    }
    ${canBanks && !a.active && a.statement.available ? actionButton(ctx, `/comptes/${a.id}/reactiver`, 'Réactiver', { title: `Réactiver le compte ${a.label}` }) : ''}`;
}

/** After the label: "Désactivé", or why this account can never get a statement. */
export function accountStateNote(a: BankAccount): Html {
  if (!a.statement.available) return html` <small class="reason" role="note">${a.statement.reason}</small>`;
  return a.active ? html`` : html` ${badge('neutral', 'Désactivé', a.deactivatedAt)}`;
}

/** "Collecter maintenant" and "Émettre un relevé intermédiaire" (its confirmation page), or both disabled during the cooldown. */
function collectButtons(ctx: PortalContext, a: BankAccount): Html {
  const collect = a.connection.collect;
  if (collect.refusal === 'cooldown') {
    const until = `Disponible à ${frTime(collect.availableAt)}`;
    return html`<button
        type="button"
        class="small"
        disabled
        aria-label="Collecter maintenant le compte ${a.label} : ${until.toLowerCase()}"
      >
        Collecter maintenant <small>${until}</small></button
      ><button
        type="button"
        class="small"
        disabled
        aria-label="Émettre un relevé intermédiaire pour le compte ${a.label} : ${until.toLowerCase()}"
      >
        Émettre un relevé intermédiaire <small>${until}</small>
      </button>`;
  }
  if (!collect.available) return html``;
  return html`${actionButton(ctx, `/connexions/${a.connectionId}/collecter`, 'Collecter maintenant', {
      title: `Collecter maintenant le compte ${a.label}`,
    })}<a
      class="button small"
      href="/connexions/${a.connectionId}/releve-intermediaire${qs({ retour: ctx.here })}"
      aria-label="Émettre un relevé intermédiaire pour le compte ${a.label}"
      >Émettre un relevé intermédiaire</a
    >`;
}

export function linksTable(links: Link[], withKind: boolean): Html {
  return html`<div class="table-wrap" role="region" aria-label="Jetons" tabindex="0">
    <table class="list">
      <thead>
        <tr>
          ${withKind ? html`<th scope="col">Type de jeton</th>` : ''}
          <th scope="col">Date création</th>
          <th scope="col">Date expiration</th>
          <th scope="col">Date utilisation</th>
          <th scope="col">Destinataire</th>
          <th scope="col">État</th>
        </tr>
      </thead>
      <tbody>
        ${links.map(
          (l) =>
            html`<tr>
              ${withKind ? html`<td>${LINK_KIND[l.kind]}</td>` : ''}
              <td>${when(l.createdAt)}</td>
              <td>${when(l.expiresAt)}</td>
              <td>${when(l.usedAt)}</td>
              <td>${l.recipient}</td>
              <td>${linkStateBadge(l.state)}</td>
            </tr>`,
        )}
        ${
          links.length
            ? ''
            : html`<tr>
                <td colspan="${withKind ? 6 : 5}">Aucun jeton envoyé.</td>
              </tr>`
        }
      </tbody>
    </table>
  </div>`;
}
