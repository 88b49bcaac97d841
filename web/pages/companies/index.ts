/** Redevables: search, create, edit, company page (tabs Comptes bancaires / Jetons), links, import. */
import type { Router } from 'express';
import { requirePortal } from '../../context';
import { detailPages } from './detail';
import { createPages, editPages } from './form';
import { importPages } from './import';
import { listPages } from './list';

export function companyPages(router: Router) {
  const portal = requirePortal();
  // The fixed paths (nouveau, import, export.*) before /redevables/:id.
  listPages(router, portal);
  createPages(router, portal);
  importPages(router, portal);
  detailPages(router, portal);
  editPages(router, portal);
}
