/** Comptes bancaires: the fleet list, "Détail d'un compte bancaire", (de)activation, collect now, links. */
import type { Router } from 'express';
import { requirePortal } from '../../context';
import { actionPages } from './actions';
import { detailPages } from './detail';
import { listPages } from './list';

export function accountPages(router: Router) {
  const portal = requirePortal();
  listPages(router, portal); // before /comptes/:id: /comptes/export.*
  detailPages(router, portal);
  actionPages(router, portal);
}
